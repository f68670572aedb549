/**
 * Every configuration key, once: its path as written in a config file, the environment variable
 * that sets it, and how its text is read. Layers, error messages and `migrate config` all come from
 * this table; the zod schema in schema.ts validates the merged result.
 */

export type KeyKind = 'string' | 'duration' | 'list' | 'integer' | 'boolean' | 'password' | 'roles' | 'placeholders';

export interface KeySpec {
  /** The key as written in a config file (`lock.timeout`). */
  readonly key: string;
  /** The `MIGRATOR_*` variable that sets it; `undefined` for keys only a config file sets. */
  readonly env: string | undefined;
  readonly kind: KeyKind;
}

export const KEYS: ReadonlyArray<KeySpec> = Object.freeze([
  { key: 'url', env: 'MIGRATOR_URL', kind: 'string' },
  { key: 'password', env: 'MIGRATOR_PASSWORD', kind: 'password' },
  { key: 'migrations.dirs', env: 'MIGRATOR_MIGRATIONS_DIRS', kind: 'list' },
  { key: 'migrations.layout', env: 'MIGRATOR_MIGRATIONS_LAYOUT', kind: 'string' },
  { key: 'order', env: 'MIGRATOR_ORDER', kind: 'string' },
  { key: 'lock.timeout', env: 'MIGRATOR_LOCK_TIMEOUT', kind: 'duration' },
  { key: 'lock.strategy', env: 'MIGRATOR_LOCK_STRATEGY', kind: 'string' },
  { key: 'execution.lockTimeout', env: 'MIGRATOR_EXECUTION_LOCK_TIMEOUT', kind: 'duration' },
  { key: 'execution.statementTimeout', env: 'MIGRATOR_EXECUTION_STATEMENT_TIMEOUT', kind: 'duration' },
  { key: 'execution.lockRetries', env: 'MIGRATOR_EXECUTION_LOCK_RETRIES', kind: 'integer' },
  { key: 'actor', env: 'MIGRATOR_ACTOR', kind: 'string' },
  { key: 'protected', env: 'MIGRATOR_PROTECTED', kind: 'boolean' },
  { key: 'rollback', env: 'MIGRATOR_ROLLBACK', kind: 'string' },
  { key: 'roles', env: undefined, kind: 'roles' },
  { key: 'backup.command', env: 'MIGRATOR_BACKUP_COMMAND', kind: 'string' },
  { key: 'backup.timeout', env: 'MIGRATOR_BACKUP_TIMEOUT', kind: 'duration' },
  // Hooks run commands and code: only a (reviewed) config file sets them, no variable can.
  { key: 'hooks.beforeMigrate', env: undefined, kind: 'string' },
  { key: 'hooks.beforeEachMigrate', env: undefined, kind: 'string' },
  { key: 'hooks.afterEachMigrate', env: undefined, kind: 'string' },
  { key: 'hooks.afterMigrate', env: undefined, kind: 'string' },
  { key: 'hooks.afterMigrateError', env: undefined, kind: 'string' },
  { key: 'hooks.module', env: undefined, kind: 'string' },
  { key: 'hooks.timeout', env: undefined, kind: 'duration' },
  { key: 'rehearsal.scratchUrl', env: 'MIGRATOR_SCRATCH_URL', kind: 'string' },
  // A map; each value may also come from MIGRATOR_PLACEHOLDER_<NAME> (config/placeholders.ts).
  { key: 'placeholders', env: undefined, kind: 'placeholders' },
  { key: 'log.level', env: 'MIGRATOR_LOG_LEVEL', kind: 'string' },
  { key: 'metrics.file', env: 'MIGRATOR_METRICS_FILE', kind: 'string' },
  { key: 'metrics.pushgateway', env: 'MIGRATOR_METRICS_PUSHGATEWAY', kind: 'string' },
  { key: 'metrics.port', env: 'MIGRATOR_METRICS_PORT', kind: 'integer' },
] as const);

export type ConfigKey = (typeof KEYS)[number]['key'];

/** Variables migrator reads that are not keys: the environment selector and test-only switches. */
export const META_VARIABLES = new Set(['MIGRATOR_ENV']);
export const TEST_VARIABLE_PREFIX = 'MIGRATOR_TEST_';

/** A password as configured: the value itself, or where to get it. */
export type PasswordSource =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'command'; readonly command: string; readonly timeoutMs: number };

/** Actors per role (`roles:` in a config file). */
export interface RoleMap {
  readonly reader?: ReadonlyArray<string> | undefined;
  readonly deployer?: ReadonlyArray<string> | undefined;
  readonly admin?: ReadonlyArray<string> | undefined;
}

/** `placeholders:` of one config-file block: kind and value by name, either possibly left to another layer. */
export type PlaceholderDeclarations = Readonly<Record<string, { readonly as?: 'identifier' | 'literal' | 'raw'; readonly value?: string }>>;

/** A value as a layer gives it, before validation. */
export type RawValue = string | number | boolean | ReadonlyArray<string> | PasswordSource | RoleMap | PlaceholderDeclarations;
