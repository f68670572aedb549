/**
 * The effective configuration as `migrate config` shows it: every key, its value as the winning
 * layer gave it (secrets redacted), and that layer.
 */
import { KEYS, type ConfigKey, type PasswordSource, type RawValue } from './keys.js';
import { describePlaceholders } from './placeholders.js';
import { redactUrl } from './redact.js';
import type { ResolvedConfig } from './resolve.js';

export interface ConfigEntry {
  readonly key: ConfigKey;
  /** Display text; `undefined` when no layer sets the key. */
  readonly value: string | undefined;
  readonly from: string | undefined;
}

function display(key: ConfigKey, value: RawValue): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return key === 'url' || key === 'rehearsal.scratchUrl' || key === 'metrics.pushgateway' ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.join(', ');
  if (!('kind' in value)) {
    return Object.entries(value).map(([role, actors]) => `${role}: ${(actors as ReadonlyArray<string>).join(', ')}`).join('; ');
  }
  // Only a password source has `kind` among the object values that reach here (placeholders are shown apart).
  const source = value as PasswordSource;
  if (source.kind === 'literal') return '*** (given in the configuration)';
  if (source.kind === 'file') return `*** (read from ${source.path})`;
  return `*** (printed by a command, ${Math.round(source.timeoutMs / 1000)}s timeout)`;
}

/** Every key in the order of the key table. */
export function describeConfig(resolved: ResolvedConfig): ConfigEntry[] {
  const winning = new Map<ConfigKey, RawValue>();
  for (const layer of resolved.layers) for (const [key, value] of layer.values) winning.set(key, value);
  return KEYS.map(({ key }) => {
    // Placeholders merge name by name across layers: show the merged result, values in clear
    // (they are written into the SQL that --dry-run prints; docs/file-format.md#placeholders).
    if (key === 'placeholders') {
      const merged = resolved.config.placeholders;
      return { key, value: merged === undefined ? undefined : describePlaceholders(merged), from: resolved.origins.get(key) };
    }
    const value = winning.get(key as ConfigKey);
    return { key: key as ConfigKey, value: value === undefined ? undefined : display(key as ConfigKey, value), from: resolved.origins.get(key as ConfigKey) };
  });
}
