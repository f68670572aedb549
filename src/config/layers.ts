/**
 * Configuration layers, lowest to highest: defaults < config file (its top level, then the selected
 * environment's block) < `.env` < environment variables < flags. A layer is a flat map from key to
 * raw value plus the name of where it came from, so every error names its source.
 */
import { MigratorError } from '../core/errors.js';
import { KEYS, META_VARIABLES, TEST_VARIABLE_PREFIX, type ConfigKey, type RawValue } from './keys.js';
import { PLACEHOLDER_VARIABLE_PREFIX } from './placeholders.js';

export interface Layer {
  /** Where the values came from, for messages: `defaults`, `file migrator.config.yaml`, `.env`, ... */
  readonly name: string;
  readonly values: ReadonlyMap<ConfigKey, RawValue>;
}

export const DEFAULTS: Layer = {
  name: 'defaults',
  values: new Map<ConfigKey, RawValue>([
    ['url', 'sqlite:./migrator.db'],
    ['migrations.dirs', ['migrations']],
    ['migrations.layout', 'flyway'],
    ['order', 'strict'],
    ['lock.timeout', '5m'],
    ['lock.strategy', 'advisory'],
    ['execution.lockTimeout', '5s'],
    ['execution.lockRetries', 3],
    ['log.level', 'info'],
    ['protected', false],
    ['rollback', 'enabled'],
    ['backup.timeout', '1h'],
    ['hooks.timeout', '5m'],
  ]),
};

const BY_ENV = new Map(KEYS.filter((spec) => spec.env !== undefined).map((spec) => [spec.env as string, spec]));

/**
 * The keys set by environment variables (`MIGRATOR_*`, and `DATABASE_URL` below `MIGRATOR_URL`).
 * An unknown `MIGRATOR_*` variable is an error: a typo must not silently leave a default in place.
 */
export function variablesLayer(name: string, variables: Readonly<Record<string, string | undefined>>): Layer {
  const values = new Map<ConfigKey, RawValue>();
  const databaseUrl = variables['DATABASE_URL'];
  if (databaseUrl) values.set('url', databaseUrl);
  for (const [variable, value] of Object.entries(variables)) {
    if (!variable.startsWith('MIGRATOR_') || value === undefined || value === '') continue;
    if (META_VARIABLES.has(variable) || variable.startsWith(TEST_VARIABLE_PREFIX)) continue;
    // Placeholder values are read by resolvePlaceholders, which knows the declared names.
    if (variable.startsWith(PLACEHOLDER_VARIABLE_PREFIX)) continue;
    const spec = BY_ENV.get(variable);
    if (!spec) {
      throw new MigratorError('E_CONFIG', `${name}: unknown variable ${variable}`, {
        hint: `migrator reads ${[...BY_ENV.keys(), 'MIGRATOR_ENV', 'DATABASE_URL'].join(', ')}. Unset or rename it.`,
      });
    }
    values.set(spec.key as ConfigKey, readText(spec.kind, value, `${variable} (set by ${name})`));
  }
  return { name, values };
}

/** Reads a key's value from text (variables, flags): lists split on commas, integers parsed. */
export function readText(kind: (typeof KEYS)[number]['kind'], text: string, where: string): RawValue {
  if (kind === 'list') return text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (kind === 'password') return { kind: 'literal', value: text };
  if (kind === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(text.trim())) return true;
    if (/^(false|0|no|off)$/i.test(text.trim())) return false;
    throw new MigratorError('E_CONFIG', `${where}: "${text}" is not true or false`, { hint: 'Use true or false.' });
  }
  if (kind === 'integer') {
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(n)) throw new MigratorError('E_CONFIG', `${where}: "${text}" is not a whole number`, { hint: 'Use a whole number, e.g. 3.' });
    return n;
  }
  return text;
}

/** The layer of command-line options (only those given). */
export function flagsLayer(flags: Partial<Record<ConfigKey, RawValue | undefined>>): Layer {
  const values = new Map<ConfigKey, RawValue>();
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) values.set(key as ConfigKey, value);
  return { name: 'flags', values };
}
