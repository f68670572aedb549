/**
 * Builds the effective configuration from its layers, lowest to highest: defaults < config file <
 * environment variables < flags. Environment variables are passed in (never read from `process.env` here), so
 * precedence is testable with plain objects.
 */
import { MigratorError } from '../core/errors.js';
import { parseDuration } from '../core/source/directives.js';
import { configSchema, type Config } from './schema.js';

export type LayerName = 'defaults' | 'environment' | 'flags' | `file ${string}`;

/** Values a layer sets; `undefined` leaves the lower layer's value. */
export interface LayerValues {
  readonly url?: string | undefined;
  readonly dirs?: ReadonlyArray<string> | undefined;
  readonly order?: string | undefined;
  readonly lockTimeout?: string | undefined;
  readonly lockStrategy?: string | undefined;
  readonly ddlLockTimeout?: string | undefined;
  readonly statementTimeout?: string | undefined;
  readonly lockRetries?: number | undefined;
  readonly actor?: string | undefined;
  readonly logLevel?: string | undefined;
}

export const DEFAULT_URL = 'sqlite:./migrator.db';

const DEFAULTS: LayerValues = { url: DEFAULT_URL, dirs: ['migrations'], order: 'strict', lockTimeout: '5m', lockStrategy: 'advisory', ddlLockTimeout: '5s', lockRetries: 3, logLevel: 'info' };

/** Reads the environment variables migrator honours. */
export function environmentLayer(env: Readonly<Record<string, string | undefined>>): LayerValues {
  return { url: env['DATABASE_URL'] || undefined };
}

function merge(layers: ReadonlyArray<readonly [LayerName, LayerValues]>): { values: Record<string, unknown>; origin: Map<string, LayerName> } {
  const values: Record<string, unknown> = {};
  const origin = new Map<string, LayerName>();
  for (const [name, layer] of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      values[key] = value;
      origin.set(key, name);
    }
  }
  return { values, origin };
}

const KEY_OF: Record<string, string> = {
  url: 'url', 'migrations.dirs': 'dirs', order: 'order', 'lock.timeoutMs': 'lockTimeout', 'lock.strategy': 'lockStrategy',
  'execution.lockTimeoutMs': 'ddlLockTimeout', 'execution.statementTimeoutMs': 'statementTimeout', 'execution.lockRetries': 'lockRetries',
  actor: 'actor', 'log.level': 'logLevel',
};

/** Parses the duration-valued key `name` (as `key` in messages); `undefined` stays undefined. */
function duration(values: Record<string, unknown>, origin: Map<string, LayerName>, name: string, key: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const ms = parseDuration(String(raw));
  if (ms === undefined) {
    throw new MigratorError('E_CONFIG', `${key} (set by ${origin.get(name)}): "${String(raw)}" is not a duration`, { hint: 'Use a duration such as 30s, 500ms, 5m or 1h.' });
  }
  return ms;
}

/** Merges the layers and validates; throws E_CONFIG naming the key and the layer that set it. */
export function resolveConfig(layers: { readonly file?: { readonly file: string; readonly values: LayerValues } | undefined; readonly environment: LayerValues; readonly flags: LayerValues }): Config {
  const fileLayer: ReadonlyArray<readonly [LayerName, LayerValues]> = layers.file ? [[`file ${layers.file.file}`, layers.file.values]] : [];
  const { values, origin } = merge([['defaults', DEFAULTS], ...fileLayer, ['environment', layers.environment], ['flags', layers.flags]]);
  const statementTimeoutMs = duration(values, origin, 'statementTimeout', 'execution.statementTimeout');
  const candidate = {
    url: values['url'],
    migrations: { dirs: values['dirs'] },
    order: values['order'],
    lock: { timeoutMs: duration(values, origin, 'lockTimeout', 'lock.timeout'), strategy: values['lockStrategy'] },
    execution: {
      lockTimeoutMs: duration(values, origin, 'ddlLockTimeout', 'execution.lockTimeout'),
      ...(statementTimeoutMs === undefined ? {} : { statementTimeoutMs }),
      lockRetries: values['lockRetries'],
    },
    environment: 'default',
    ...(values['actor'] === undefined ? {} : { actor: values['actor'] }),
    log: { level: values['logLevel'] },
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? '';
    const layer = origin.get(KEY_OF[key] ?? key) ?? 'defaults';
    // Durations are validated in milliseconds but written without the suffix: name the key as written.
    const shown = key.replace(/Ms$/, '');
    throw new MigratorError('E_CONFIG', `${shown} (set by ${layer}): ${issue?.message ?? 'invalid'}`, { hint: 'Fix the value; see docs/configuration.md for every key.' });
  }
  return Object.freeze(parsed.data);
}
