/**
 * Builds the effective configuration from its layers, lowest to highest: defaults < config file
 * (top level, then the selected environment's block) < `.env` < environment variables < flags.
 * Everything comes in as plain data (never `process.env` read here), so precedence is testable.
 */
import { MigratorError } from '../core/errors.js';
import { parseDuration } from '../core/source/directives.js';
import { blockLayer, type FileConfig } from './file.js';
import { KEYS, type ConfigKey, type RawValue } from './keys.js';
import { DEFAULTS, flagsLayer, variablesLayer, type Layer } from './layers.js';
import { resolvePlaceholders } from './placeholders.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigInputs {
  readonly file?: FileConfig | undefined;
  /** The `.env` file read (or `--dotenv`), as `dotenv.parse` returned it. */
  readonly dotenv?: { readonly file: string; readonly variables: Readonly<Record<string, string>> } | undefined;
  /** The process environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Partial<Record<ConfigKey, RawValue | undefined>>;
  /** `--env`; falls back to MIGRATOR_ENV (environment, then .env). */
  readonly environment?: string | undefined;
}

export interface ResolvedConfig {
  readonly config: Config;
  /** Which layer set each key, for messages and `migrate config`. */
  readonly origins: ReadonlyMap<ConfigKey, string>;
  /** The layers in order, lowest first. */
  readonly layers: ReadonlyArray<Layer>;
}

function selectEnvironment(inputs: ConfigInputs): string | undefined {
  const name = inputs.environment ?? (inputs.env['MIGRATOR_ENV'] || undefined) ?? (inputs.dotenv?.variables['MIGRATOR_ENV'] || undefined);
  if (name === undefined) return undefined;
  const defined = Object.keys(inputs.file?.environments ?? {});
  if (!defined.includes(name)) {
    const where = inputs.file ? `${inputs.file.file} defines ${defined.length > 0 ? `only: ${defined.join(', ')}` : 'no environments'}` : 'there is no config file';
    throw new MigratorError('E_CONFIG', `environment "${name}" is not defined: ${where}`, {
      hint: defined.length > 0 ? `Use one of: ${defined.join(', ')} (with --env or MIGRATOR_ENV), or add environments.${name} to the config file.` : 'Add an environments: block to the config file, or drop --env / MIGRATOR_ENV.',
    });
  }
  return name;
}

function stack(inputs: ConfigInputs, environment: string | undefined): Layer[] {
  const lookup = (name: string): string | undefined => inputs.env[name] ?? inputs.dotenv?.variables[name];
  const layers: Layer[] = [DEFAULTS];
  if (inputs.file) {
    layers.push(blockLayer(inputs.file.base, `file ${inputs.file.file}`, lookup));
    const block = environment === undefined ? undefined : inputs.file.environments[environment];
    if (block) layers.push(blockLayer(block, `file ${inputs.file.file} (environments.${environment})`, lookup));
  }
  if (inputs.dotenv) layers.push(variablesLayer(inputs.dotenv.file, inputs.dotenv.variables));
  layers.push(variablesLayer('environment', inputs.env), flagsLayer(inputs.flags));
  return layers;
}

/**
 * The safety keys a config file sets (`protected: true`, `rollback: disabled`, `backup.command`) may
 * be tightened by `.env`, variables and flags, never loosened (nor the backup replaced): a stray
 * MIGRATOR_PROTECTED=false in a CI job must not take the guard rails off production. Within the
 * file, an environment block may set either way.
 */
function checkSafetyKeys(layers: ReadonlyArray<Layer>, values: ReadonlyMap<ConfigKey, RawValue>, origins: ReadonlyMap<ConfigKey, string>): void {
  const fromFile = (key: ConfigKey): RawValue | undefined =>
    layers.filter((layer) => layer.name.startsWith('file ')).reduce<RawValue | undefined>((found, layer) => layer.values.get(key) ?? found, undefined);
  const loosened = (key: ConfigKey, safe: RawValue, unsafe: RawValue): void => {
    const file = layers.filter((layer) => layer.name.startsWith('file ') && layer.values.has(key)).at(-1)?.name;
    if (fromFile(key) !== safe || values.get(key) !== unsafe) return;
    const variable = KEYS.find((spec) => spec.key === key)?.env;
    const origin = origins.get(key) ?? 'defaults';
    const by = origin === 'flags' || variable === undefined ? origin : `${origin}, ${variable}`;
    throw new MigratorError('E_CONFIG', `${key} (set by ${by}): "${String(unsafe)}" would loosen "${key}: ${String(safe)}" set by the ${file?.replace(/^file /, 'config file ') ?? 'config file'}`, {
      hint: `.env, environment variables and options may only tighten the safety keys protected and rollback. Change it in the config file (for one environment: its environments.<name> block), or unset the ${origins.get(key) ?? ''} value.`,
    });
  };
  loosened('protected', true, false);
  loosened('rollback', 'disabled', 'enabled');
  // The backup a reviewed config file asks for is not swapped for another from outside it.
  const backupOrigin = origins.get('backup.command');
  if (fromFile('backup.command') !== undefined && backupOrigin !== undefined && !backupOrigin.startsWith('file ')) {
    throw new MigratorError('E_CONFIG', `backup.command (set by ${backupOrigin}, MIGRATOR_BACKUP_COMMAND) would replace the backup.command the config file sets`, {
      hint: 'A backup command set in the config file can only be changed there. Unset MIGRATOR_BACKUP_COMMAND, or change the file in a reviewed commit.',
    });
  }
}

/** Merges the layers and validates; throws E_CONFIG naming the key and the layer that set it. */
export function resolveConfig(inputs: ConfigInputs): ResolvedConfig {
  const environment = selectEnvironment(inputs);
  const layers = stack(inputs, environment);
  const values = new Map<ConfigKey, RawValue>();
  const origins = new Map<ConfigKey, string>();
  for (const layer of layers) {
    for (const [key, value] of layer.values) {
      values.set(key, value);
      origins.set(key, layer.name);
    }
  }
  checkSafetyKeys(layers, values, origins);
  const placeholders = resolvePlaceholders(layers, [...(inputs.dotenv ? [{ name: inputs.dotenv.file, values: inputs.dotenv.variables }] : []), { name: 'environment', values: inputs.env }]);
  if (placeholders) origins.set('placeholders', placeholders.origin);
  const where = (key: ConfigKey): string => `${key} (set by ${origins.get(key) ?? 'defaults'})`;
  const ms = (key: ConfigKey): number | undefined => {
    const raw = values.get(key);
    if (raw === undefined) return undefined;
    const parsed = parseDuration(String(raw));
    if (parsed === undefined) throw new MigratorError('E_CONFIG', `${where(key)}: "${String(raw)}" is not a duration`, { hint: 'Use a duration such as 30s, 500ms, 5m or 1h (a bare number is seconds).' });
    return parsed;
  };
  const statementTimeoutMs = ms('execution.statementTimeout');
  const candidate = {
    url: values.get('url'),
    ...(values.has('password') ? { password: values.get('password') } : {}),
    migrations: { dirs: values.get('migrations.dirs'), layout: values.get('migrations.layout') },
    order: values.get('order'),
    lock: { timeoutMs: ms('lock.timeout'), strategy: values.get('lock.strategy') },
    execution: { lockTimeoutMs: ms('execution.lockTimeout'), ...(statementTimeoutMs === undefined ? {} : { statementTimeoutMs }), lockRetries: values.get('execution.lockRetries') },
    environment: environment ?? 'default',
    protected: values.get('protected'),
    rollback: values.get('rollback'),
    ...(values.has('roles') ? { roles: values.get('roles') } : {}),
    ...(values.has('actor') ? { actor: values.get('actor') } : {}),
    backup: { ...(values.has('backup.command') ? { command: values.get('backup.command') } : {}), timeoutMs: ms('backup.timeout') },
    hooks: {
      ...Object.fromEntries((['beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError', 'module'] as const).filter((name) => values.has(`hooks.${name}`)).map((name) => [name, values.get(`hooks.${name}`)])),
      timeoutMs: ms('hooks.timeout'),
    },
    rehearsal: values.has('rehearsal.scratchUrl') ? { scratchUrl: values.get('rehearsal.scratchUrl') } : {},
    ...(placeholders ? { placeholders: placeholders.placeholders } : {}),
    log: { level: values.get('log.level') },
    metrics: {
      ...(values.has('metrics.file') ? { file: values.get('metrics.file') } : {}),
      ...(values.has('metrics.pushgateway') ? { pushgateway: values.get('metrics.pushgateway') } : {}),
      ...(values.has('metrics.port') ? { port: values.get('metrics.port') } : {}),
    },
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Durations are validated in milliseconds but written without the suffix: name the key as written.
    const key = (issue?.path.join('.') ?? '').replace(/Ms$/, '').replace(/^lock\.timeout$/, 'lock.timeout') as ConfigKey;
    throw new MigratorError('E_CONFIG', `${where(key)}: ${issue?.message ?? 'invalid'}`, { hint: 'Fix the value; see docs/configuration.md for every key.' });
  }
  return { config: Object.freeze(parsed.data), origins, layers };
}
