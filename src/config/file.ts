/**
 * The config-file layer. cosmiconfig finds `migrator.config.{yaml,yml,json,js,cjs,mjs}`,
 * `.migratorrc*` or `package.json#migrator` in the working directory, or loads `--config <path>`.
 * Unknown keys are errors: a misspelt key silently ignored is a production incident waiting.
 * Shared keys sit at the top; `environments:` holds one isolated block per environment.
 */
import fs from 'node:fs';
import path from 'node:path';
// zod/mini: see schema.ts.
import * as z from 'zod/mini';
import { MigratorError } from '../core/errors.js';
import { LAYOUTS } from '../core/source/layouts.js';
import { parseDuration } from '../core/source/directives.js';
import { interpolate } from './interpolate.js';
import { placeholderDeclarations, placeholdersFileSchema } from './placeholders.js';
import type { ConfigKey, PasswordSource, RawValue } from './keys.js';
import type { Layer } from './layers.js';
import './zod-messages.js';

const HOOK_KEYS = ['beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError'] as const;

const duration = z.union([z.string(), z.number().check(z.nonnegative())]);
const nonEmpty = z.string().check(z.minLength(1));
const password = z.union([
  z.string(),
  z.strictObject({ file: nonEmpty }),
  z.strictObject({ command: nonEmpty, timeout: z.optional(duration) }),
]);

/** `hooks.<name>`: a shell command (docs/callbacks.md). */
const hookCommands = Object.fromEntries(HOOK_KEYS.map((name) => [name, z.optional(nonEmpty)])) as Record<(typeof HOOK_KEYS)[number], z.ZodMiniOptional<z.ZodMiniString>>;

const blockSchema = z.strictObject({
  url: z.optional(nonEmpty),
  password: z.optional(password),
  migrations: z.optional(z.strictObject({ dirs: z.optional(z.array(nonEmpty).check(z.minLength(1))), layout: z.optional(z.enum(LAYOUTS)) })),
  order: z.optional(z.enum(['strict', 'allow-out-of-order'])),
  lock: z.optional(z.strictObject({ timeout: z.optional(duration), strategy: z.optional(z.enum(['advisory', 'table'])) })),
  execution: z.optional(z.strictObject({ lockTimeout: z.optional(duration), statementTimeout: z.optional(duration), lockRetries: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(100))) })),
  actor: z.optional(nonEmpty),
  log: z.optional(z.strictObject({ level: z.optional(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])) })),
  protected: z.optional(z.boolean()),
  rollback: z.optional(z.enum(['enabled', 'disabled'])),
  backup: z.optional(z.strictObject({ command: z.optional(nonEmpty), timeout: z.optional(duration) })),
  hooks: z.optional(z.strictObject({ ...hookCommands, module: z.optional(nonEmpty), timeout: z.optional(duration) })),
  rehearsal: z.optional(z.strictObject({ scratchUrl: z.optional(nonEmpty) })),
  placeholders: z.optional(placeholdersFileSchema),
  metrics: z.optional(z.strictObject({ file: z.optional(nonEmpty), pushgateway: z.optional(nonEmpty), port: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(65535))) })),
  roles: z.optional(z.strictObject({ reader: z.optional(z.array(nonEmpty)), deployer: z.optional(z.array(nonEmpty)), admin: z.optional(z.array(nonEmpty)) })),
});

const fileSchema = z.strictObject({ ...blockSchema.shape, environments: z.optional(z.record(z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/, 'environment names use letters, digits, _ . -')), blockSchema)) });

type Block = z.infer<typeof blockSchema>;

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

/** A config file, validated but not yet interpolated. */
export interface FileConfig {
  /** The file, relative to the working directory. */
  readonly file: string;
  readonly base: Block;
  readonly environments: Readonly<Record<string, Block>>;
}

/**
 * Why a config file could not be read: the parser's reason and line:column, never the quoted
 * source lines (code frames, "near '...'") that parsers add, which may show a secret.
 */
export function readError(error: unknown, cwd: string): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'no such file';
  const lines = String((error as Error).message).split('\n').map((line) => line.trim()).filter((line) => line !== '');
  // cosmiconfig says "YAML Error in /abs/file:" then the parser's reason; code frames follow.
  const reason = lines.find((line, i) => (i > 0 || lines.length === 1) && !/^(?:>|\d+\s*\||\||\^|at )/.test(line) && !/ Error in .*:$/.test(line)) ?? 'syntax error';
  return reason
    .split(`${cwd}${path.sep}`).join('')
    .replace(/\s*(?:while parsing near|near)\s+(['"`]).*$/s, '')
    .replace(/:\s*$/, '');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_key') return 'environment names use letters, digits, _ . and -';
  return issue.message;
}

/**
 * Whether `cwd` may hold a config file, answered without loading cosmiconfig (~20 ms of every
 * start-up): no search place exists, a package.json has no "migrator" key, and nothing cosmiconfig
 * reads as its own meta configuration (package.json "cosmiconfig", package.yaml, .config/) is
 * there. Anything unexpected answers yes, and cosmiconfig decides, with its own errors.
 */
function mayHoldConfig(cwd: string): boolean {
  const others = [...SEARCH_PLACES.filter((place) => place !== 'package.json'), 'package.yaml', '.config'];
  if (others.some((place) => fs.existsSync(path.join(cwd, place)))) return true;
  let text: string;
  try {
    text = fs.readFileSync(path.join(cwd, 'package.json'), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  try {
    const manifest: unknown = JSON.parse(text);
    return typeof manifest !== 'object' || manifest === null || Array.isArray(manifest) || 'migrator' in manifest || 'cosmiconfig' in manifest;
  } catch {
    return true;
  }
}

/** Finds and validates the config file; `undefined` when there is none (and none was asked for). */
export async function loadConfigFile(cwd: string, explicit: string | undefined): Promise<FileConfig | undefined> {
  if (explicit === undefined && !mayHoldConfig(cwd)) return undefined;
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('migrator', { searchPlaces: SEARCH_PLACES, searchStrategy: 'none' });
  let result;
  try {
    result = explicit ? await explorer.load(path.resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (error) {
    const failed = (error as { filepath?: unknown }).filepath;
    const file = explicit ?? (typeof failed === 'string' ? path.relative(cwd, failed) : undefined) ?? 'the config file';
    // No `cause`: a parser's message quotes the lines around the error, and a config file may hold a
    // literal password that no redactor knows yet (the file could not be read to register it).
    throw new MigratorError('E_CONFIG', `cannot read ${file}: ${readError(error, cwd)}`, { at: { file }, hint: 'Fix the syntax of the file, or point --config at the right one.' });
  }
  if (!result || result.isEmpty) return undefined;
  const file = path.relative(cwd, result.filepath) || result.filepath;
  const parsed = fileSchema.safeParse(result.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || '(top level)';
    throw new MigratorError('E_CONFIG', `${file}: ${key}: ${issue ? describeIssue(issue) : 'invalid'}`, {
      at: { file },
      hint: 'Valid keys: url, password, migrations.dirs, migrations.layout, order, lock.timeout, lock.strategy, execution.lockTimeout, execution.statementTimeout, execution.lockRetries, actor, log.level, protected, rollback, roles.{reader,deployer,admin}, backup.command, backup.timeout, hooks.{beforeMigrate,beforeEachMigrate,afterEachMigrate,afterMigrate,afterMigrateError,module,timeout}, rehearsal.scratchUrl, placeholders.<name>.{value,as}, metrics.file, metrics.pushgateway, metrics.port, environments.<name>.* (docs/configuration.md).',
    });
  }
  const { environments = {}, ...base } = parsed.data;
  return { file, base, environments };
}

const asText = (value: string | number | undefined): string | undefined => (typeof value === 'number' ? `${value}s` : value);

function passwordSource(value: NonNullable<Block['password']>, text: (s: string) => string, where: string): PasswordSource {
  if (typeof value === 'string') return { kind: 'literal', value: text(value) };
  if ('file' in value) return { kind: 'file', path: text(value.file) };
  const timeoutMs = value.timeout === undefined ? 10_000 : parseDuration(String(asText(value.timeout)));
  if (timeoutMs === undefined || timeoutMs <= 0) throw new MigratorError('E_CONFIG', `${where}: password.timeout "${String(value.timeout)}" is not a duration`, { hint: 'Use a duration such as 10s.' });
  return { kind: 'command', command: text(value.command), timeoutMs };
}

/**
 * One block of the file as a layer, `${env:NAME}` resolved with `lookup`. Only the blocks in use
 * are read, so a variable that only another environment needs may stay unset.
 */
export function blockLayer(block: Block, name: string, lookup: (variable: string) => string | undefined): Layer {
  const values = new Map<ConfigKey, RawValue>();
  const put = (key: ConfigKey, value: RawValue | undefined): void => {
    if (value !== undefined) values.set(key, value);
  };
  const text = (key: string) => (value: string): string => interpolate(value, lookup, `${key} (set by ${name})`);
  put('url', block.url === undefined ? undefined : text('url')(block.url));
  put('password', block.password === undefined ? undefined : passwordSource(block.password, text('password'), name));
  put('migrations.dirs', block.migrations?.dirs?.map(text('migrations.dirs')));
  put('migrations.layout', block.migrations?.layout);
  put('order', block.order);
  put('lock.timeout', asText(block.lock?.timeout));
  put('lock.strategy', block.lock?.strategy);
  put('execution.lockTimeout', asText(block.execution?.lockTimeout));
  put('execution.statementTimeout', asText(block.execution?.statementTimeout));
  put('execution.lockRetries', block.execution?.lockRetries);
  put('actor', block.actor === undefined ? undefined : text('actor')(block.actor));
  put('log.level', block.log?.level);
  put('protected', block.protected);
  put('rollback', block.rollback);
  put('roles', block.roles);
  // Not interpolated: the shell expands $VARIABLES itself, and a value pasted in could hold a
  // secret (shown by "migrate config") or shell syntax.
  put('backup.command', block.backup?.command);
  put('backup.timeout', asText(block.backup?.timeout));
  // Commands are not interpolated either, for the same reasons.
  for (const hook of HOOK_KEYS) put(`hooks.${hook}`, block.hooks?.[hook]);
  put('hooks.module', block.hooks?.module === undefined ? undefined : text('hooks.module')(block.hooks.module));
  put('hooks.timeout', asText(block.hooks?.timeout));
  put('rehearsal.scratchUrl', block.rehearsal?.scratchUrl === undefined ? undefined : text('rehearsal.scratchUrl')(block.rehearsal.scratchUrl));
  put('metrics.file', block.metrics?.file === undefined ? undefined : text('metrics.file')(block.metrics.file));
  put('metrics.pushgateway', block.metrics?.pushgateway === undefined ? undefined : text('metrics.pushgateway')(block.metrics.pushgateway));
  put('metrics.port', block.metrics?.port);
  put('placeholders', block.placeholders === undefined ? undefined : placeholderDeclarations(block.placeholders, (key, value) => text(`placeholders.${key}.value`)(value)));
  return { name, values };
}
