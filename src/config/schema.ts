/**
 * The one schema of migrator's configuration. Every layer (defaults, environment, flags) is merged
 * into this shape and validated here, so an error names the key and the layer that set it.
 */
import { z } from 'zod';

export const configSchema = z
  .object({
    url: z.string().min(1, 'must not be empty'),
    migrations: z
      .object({
        dirs: z.array(z.string().min(1)).min(1, 'needs at least one directory'),
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
    actor: z.string().min(1).optional(),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      })
      .strict(),
  })
  .strict();

/** The effective configuration of one run. Frozen. */
export type Config = Readonly<z.infer<typeof configSchema>>;
