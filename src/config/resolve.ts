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
  readonly actor?: string | undefined;
  readonly logLevel?: string | undefined;
}

export const DEFAULT_URL = 'sqlite:./migrator.db';

const DEFAULTS: LayerValues = { url: DEFAULT_URL, dirs: ['migrations'], order: 'strict', lockTimeout: '5m', logLevel: 'info' };

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

const KEY_OF: Record<string, string> = { url: 'url', 'migrations.dirs': 'dirs', order: 'order', 'lock.timeoutMs': 'lockTimeout', actor: 'actor', 'log.level': 'logLevel' };

/** Merges the layers and validates; throws E_CONFIG naming the key and the layer that set it. */
export function resolveConfig(layers: { readonly file?: { readonly file: string; readonly values: LayerValues } | undefined; readonly environment: LayerValues; readonly flags: LayerValues }): Config {
  const fileLayer: ReadonlyArray<readonly [LayerName, LayerValues]> = layers.file ? [[`file ${layers.file.file}`, layers.file.values]] : [];
  const { values, origin } = merge([['defaults', DEFAULTS], ...fileLayer, ['environment', layers.environment], ['flags', layers.flags]]);
  const lockTimeout = String(values['lockTimeout']);
  const timeoutMs = parseDuration(lockTimeout);
  if (timeoutMs === undefined) {
    throw new MigratorError('E_CONFIG', `lock.timeout (set by ${origin.get('lockTimeout')}): "${lockTimeout}" is not a duration`, { hint: 'Use a duration such as 30s, 500ms, 5m or 1h.' });
  }
  const candidate = {
    url: values['url'],
    migrations: { dirs: values['dirs'] },
    order: values['order'],
    lock: { timeoutMs },
    environment: 'default',
    ...(values['actor'] === undefined ? {} : { actor: values['actor'] }),
    log: { level: values['logLevel'] },
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? '';
    const layer = origin.get(KEY_OF[key] ?? key) ?? 'defaults';
    throw new MigratorError('E_CONFIG', `${key} (set by ${layer}): ${issue?.message ?? 'invalid'}`, { hint: 'Fix the value; see docs/configuration.md for every key.' });
  }
  return Object.freeze(parsed.data);
}
