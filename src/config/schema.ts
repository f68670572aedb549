/**
 * The one schema of migrator's configuration. Every layer (defaults, file, .env, environment,
 * flags) is merged into this shape and validated here, so an error names the key and the layer.
 */
import { z } from 'zod';
import { LAYOUTS } from '../core/source/layouts.js';

const passwordSource = z.union([
  z.object({ kind: z.literal('literal'), value: z.string() }).strict(),
  z.object({ kind: z.literal('file'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('command'), command: z.string().min(1), timeoutMs: z.number().int().positive() }).strict(),
]);

export const configSchema = z
  .object({
    url: z.string().min(1, 'must not be empty'),
    /** Where the database password comes from (its value is read by the session, never stored here). */
    password: passwordSource.optional(),
    migrations: z
      .object({
        dirs: z.array(z.string().min(1)).min(1, 'needs at least one directory'),
        /** How the files are named: migrator's own, or another tool's read unchanged (docs/layouts.md). */
        layout: z.enum(LAYOUTS, { error: `must be one of: ${LAYOUTS.join(', ')}` }),
      })
      .strict(),
    order: z.enum(['strict', 'allow-out-of-order']),
    lock: z
      .object({
        timeoutMs: z.number().int().nonnegative(),
        strategy: z.enum(['advisory', 'table']),
      })
      .strict(),
    execution: z
      .object({
        lockTimeoutMs: z.number().int().positive(),
        statementTimeoutMs: z.number().int().positive().optional(),
        lockRetries: z.number().int().min(0).max(100),
      })
      .strict(),
    environment: z.string().min(1),
    /** `down`, `repair`, `baseline` and `unlock` need `--confirm <environment>`. */
    protected: z.boolean(),
    /** `disabled` refuses `down` outright: roll forward instead. */
    rollback: z.enum(['enabled', 'disabled']),
    /** Actors per role; absent: no role checks. */
    roles: z.object({ reader: z.array(z.string()).optional(), deployer: z.array(z.string()).optional(), admin: z.array(z.string()).optional() }).strict().optional(),
    actor: z.string().min(1).optional(),
    /** Run before `up` and `down` in a protected environment; a failure stops the run. */
    backup: z.object({ command: z.string().min(1).optional(), timeoutMs: z.number().int().positive() }).strict(),
    /** Shell commands, and a JS module exporting functions, run around `up`/`down` (docs/callbacks.md). */
    hooks: z
      .object({
        beforeMigrate: z.string().min(1).optional(),
        beforeEachMigrate: z.string().min(1).optional(),
        afterEachMigrate: z.string().min(1).optional(),
        afterMigrate: z.string().min(1).optional(),
        afterMigrateError: z.string().min(1).optional(),
        module: z.string().min(1).optional(),
        timeoutMs: z.number().int().positive(),
      })
      .strict(),
    /** `validate --rehearse --scratch-url` default: an empty database to replay every migration on. */
    rehearsal: z.object({ scratchUrl: z.string().min(1).optional() }).strict(),
    /** `${name}` substitution in migration SQL (docs/file-format.md#placeholders); absent: off. */
    placeholders: z.record(z.string(), z.object({ kind: z.enum(['identifier', 'literal', 'raw']), value: z.string() }).strict()).optional(),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      })
      .strict(),
    /** Prometheus metrics (docs/observability.md): none of them is on unless set. */
    metrics: z
      .object({
        /** node_exporter textfile collector file, rewritten atomically when the command ends. */
        file: z.string().min(1).optional(),
        /** Pushgateway base URL (may hold basic-auth credentials: a secret). */
        pushgateway: z.string().regex(/^https?:\/\/[^/?#]/i, 'must be an http:// or https:// URL').optional(),
        /** Serve /metrics on this port while the command runs; 0 picks a free one. */
        port: z.number().int().min(0).max(65535, 'must be a port number, 0 to 65535').optional(),
      })
      .strict(),
  })
  .strict();

/** The effective configuration of one run. Frozen. */
export type Config = Readonly<z.infer<typeof configSchema>>;
