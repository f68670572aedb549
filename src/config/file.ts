/**
 * The config-file layer. cosmiconfig finds `migrator.config.{yaml,yml,json,js,cjs,mjs}`,
 * `.migratorrc*` or `package.json#migrator` in the working directory, or loads `--config <path>`.
 * Unknown keys are errors: a misspelt key silently ignored is a production incident waiting.
 */
import path from 'node:path';
import { z } from 'zod';
import { MigratorError } from '../core/errors.js';
import type { LayerValues } from './resolve.js';

const fileSchema = z
  .object({
    url: z.string().min(1).optional(),
    migrations: z.object({ dirs: z.array(z.string().min(1)).min(1).optional() }).strict().optional(),
    order: z.enum(['strict', 'allow-out-of-order']).optional(),
    lock: z.object({ timeout: z.union([z.string(), z.number().nonnegative()]).optional(), strategy: z.enum(['advisory', 'table']).optional() }).strict().optional(),
    execution: z
      .object({
        lockTimeout: z.union([z.string(), z.number().positive()]).optional(),
        statementTimeout: z.union([z.string(), z.number().positive()]).optional(),
        lockRetries: z.number().int().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
    actor: z.string().min(1).optional(),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional() }).strict().optional(),
  })
  .strict();

export const SEARCH_PLACES = [
  'package.json',
  '.migratorrc',
  '.migratorrc.json',
  '.migratorrc.yaml',
  '.migratorrc.yml',
  '.migratorrc.js',
  '.migratorrc.cjs',
  '.migratorrc.mjs',
  'migrator.config.yaml',
  'migrator.config.yml',
  'migrator.config.json',
  'migrator.config.js',
  'migrator.config.cjs',
  'migrator.config.mjs',
];

export interface FileLayer {
  readonly file: string;
  readonly values: LayerValues;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

/** Finds and validates the config file; `undefined` when there is none (and none was asked for). */
export async function loadConfigFile(cwd: string, explicit: string | undefined): Promise<FileLayer | undefined> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('migrator', { searchPlaces: SEARCH_PLACES, searchStrategy: 'none' });
  let result;
  try {
    result = explicit ? await explorer.load(path.resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (error) {
    const where = explicit ?? 'the config file';
    throw new MigratorError('E_CONFIG', `cannot read ${where}: ${(error as Error).message.split('\n')[0]}`, { at: { file: explicit ?? cwd }, cause: error, hint: 'Fix the syntax of the file, or point --config at the right one.' });
  }
  if (!result || result.isEmpty) return undefined;
  const file = path.relative(cwd, result.filepath) || result.filepath;
  const parsed = fileSchema.safeParse(result.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || '(top level)';
    throw new MigratorError('E_CONFIG', `${file}: ${key}: ${issue ? describeIssue(issue) : 'invalid'}`, {
      at: { file },
      hint: 'Valid keys: url, migrations.dirs, order, lock.timeout, lock.strategy, execution.lockTimeout, execution.statementTimeout, execution.lockRetries, actor, log.level (docs/configuration.md).',
    });
  }
  const config = parsed.data;
  // A bare number is seconds, as on the command line (--lock-timeout 30).
  const ms = (value: string | number | undefined) => (typeof value === 'number' ? `${value}s` : value);
  return {
    file,
    values: {
      url: config.url,
      dirs: config.migrations?.dirs,
      order: config.order,
      lockTimeout: ms(config.lock?.timeout),
      lockStrategy: config.lock?.strategy,
      ddlLockTimeout: ms(config.execution?.lockTimeout),
      statementTimeout: ms(config.execution?.statementTimeout),
      lockRetries: config.execution?.lockRetries,
      actor: config.actor,
      logLevel: config.log?.level,
    },
  };
}
