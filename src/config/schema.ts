/**
 * The one schema of migrator's configuration. Every layer (defaults, file, .env, environment,
 * flags) is merged into this shape and validated here, so an error names the key and the layer.
 */
// zod/mini, whose schemas are plain functions the bundle keeps only when used: zod's full build
// costs every command ~10 ms more to load (docs/performance.md#start-up).
import * as z from 'zod/mini';
import { LAYOUTS } from '../core/source/layouts.js';
import './zod-messages.js';

const nonEmpty = z.string().check(z.minLength(1));

const passwordSource = z.union([
  z.strictObject({ kind: z.literal('literal'), value: z.string() }),
  z.strictObject({ kind: z.literal('file'), path: nonEmpty }),
  z.strictObject({ kind: z.literal('command'), command: nonEmpty, timeoutMs: z.number().check(z.int(), z.positive()) }),
]);

export const configSchema = z.strictObject({
  url: z.string().check(z.minLength(1, 'must not be empty')),
  /** Where the database password comes from (its value is read by the session, never stored here). */
  password: z.optional(passwordSource),
  migrations: z.strictObject({
    dirs: z.array(nonEmpty).check(z.minLength(1, 'needs at least one directory')),
    /** How the files are named: migrator's own, or another tool's read unchanged (docs/layouts.md). */
    layout: z.enum(LAYOUTS, { error: `must be one of: ${LAYOUTS.join(', ')}` }),
  }),
  order: z.enum(['strict', 'allow-out-of-order']),
  lock: z.strictObject({
    timeoutMs: z.number().check(z.int(), z.nonnegative()),
    strategy: z.enum(['advisory', 'table']),
  }),
  execution: z.strictObject({
    lockTimeoutMs: z.number().check(z.int(), z.positive()),
    statementTimeoutMs: z.optional(z.number().check(z.int(), z.positive())),
    lockRetries: z.number().check(z.int(), z.minimum(0), z.maximum(100)),
  }),
  environment: nonEmpty,
  /** `down`, `repair`, `baseline` and `unlock` need `--confirm <environment>`. */
  protected: z.boolean(),
  /** `disabled` refuses `down` outright: roll forward instead. */
  rollback: z.enum(['enabled', 'disabled']),
  /** Actors per role; absent: no role checks. */
  roles: z.optional(z.strictObject({ reader: z.optional(z.array(z.string())), deployer: z.optional(z.array(z.string())), admin: z.optional(z.array(z.string())) })),
  actor: z.optional(nonEmpty),
  /** Run before `up` and `down` in a protected environment; a failure stops the run. */
  backup: z.strictObject({ command: z.optional(nonEmpty), timeoutMs: z.number().check(z.int(), z.positive()) }),
  /** Shell commands, and a JS module exporting functions, run around `up`/`down` (docs/callbacks.md). */
  hooks: z.strictObject({
    beforeMigrate: z.optional(nonEmpty),
    beforeEachMigrate: z.optional(nonEmpty),
    afterEachMigrate: z.optional(nonEmpty),
    afterMigrate: z.optional(nonEmpty),
    afterMigrateError: z.optional(nonEmpty),
    module: z.optional(nonEmpty),
    timeoutMs: z.number().check(z.int(), z.positive()),
  }),
  /** `validate --rehearse --scratch-url` default: an empty database to replay every migration on. */
  rehearsal: z.strictObject({ scratchUrl: z.optional(nonEmpty) }),
  /** `${name}` substitution in migration SQL (docs/file-format.md#placeholders); absent: off. */
  placeholders: z.optional(z.record(z.string(), z.strictObject({ kind: z.enum(['identifier', 'literal', 'raw']), value: z.string() }))),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  }),
  /** Prometheus metrics (docs/observability.md): none of them is on unless set. */
  metrics: z.strictObject({
    /** node_exporter textfile collector file, rewritten atomically when the command ends. */
    file: z.optional(nonEmpty),
    /** Pushgateway base URL (may hold basic-auth credentials: a secret). */
    pushgateway: z.optional(z.string().check(z.regex(/^https?:\/\/[^/?#]/i, 'must be an http:// or https:// URL'))),
    /** Serve /metrics on this port while the command runs; 0 picks a free one. */
    port: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(65535, 'must be a port number, 0 to 65535'))),
  }),
});

/** The effective configuration of one run. Frozen. */
export type Config = Readonly<z.infer<typeof configSchema>>;
