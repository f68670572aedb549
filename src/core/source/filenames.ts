/**
 * The Flyway file-name grammar: `V<version>__<description>.sql` (forward), `U<version>__...sql`
 * (undo), `R__<description>.sql` (repeatable). Anything else ending in `.sql` is a mistake worth
 * reporting (a typo like `v1_init.sql` would otherwise never run).
 */
import type { Version } from '../model.js';
import { parseVersion } from '../version.js';
import { callbackEventOf, type CallbackEvent } from './callback-names.js';

export type FileRole = 'versioned' | 'undo' | 'repeatable' | 'script';

export interface ParsedName {
  readonly role: FileRole;
  readonly version: Version | undefined;
  /** Human description: underscores become spaces. */
  readonly description: string;
  /** The raw description as written, used for repeatable ids (`R__<raw>`). */
  readonly rawDescription: string;
}

export type NameResult =
  | { readonly kind: 'migration'; readonly name: ParsedName }
  | { readonly kind: 'ignored' }
  /** A SQL callback (`beforeMigrate.sql`, ...): not a migration; read by source/callbacks.ts. */
  | { readonly kind: 'callback'; readonly event: CallbackEvent }
  /** `hint`: what to do, when the loader's generic one (rename or move the file) is not the best. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly hint?: string };

const NAME_PATTERN = /^([VUR])(.*?)__(.+)\.(sql|ts|js|mjs|cjs)$/;

/**
 * Classifies a file name found in a migrations directory. Files that are not SQL or scripts
 * (README.md, migrator.sum) are ignored; misnamed SQL files are `invalid` with the reason.
 */
export function parseFileName(fileName: string): NameResult {
  const event = callbackEventOf(fileName);
  if (event) return { kind: 'callback', event };
  const match = NAME_PATTERN.exec(fileName);
  if (!match) {
    if (!/\.sql$/i.test(fileName)) return { kind: 'ignored' };
    return { kind: 'invalid', reason: 'expected V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql' };
  }
  const [, prefix = '', rawVersion = '', rawDescription = '', extension = ''] = match;
  const description = rawDescription.replace(/_/g, ' ').trim();
  if (description === '') return { kind: 'invalid', reason: 'the description after "__" is empty' };
  if (prefix === 'R') {
    if (rawVersion !== '') return { kind: 'invalid', reason: 'a repeatable migration has no version: name it R__<description>.sql' };
    if (extension !== 'sql') return { kind: 'invalid', reason: 'repeatable migrations are SQL files' };
    return { kind: 'migration', name: { role: 'repeatable', version: undefined, description, rawDescription } };
  }
  const version = parseVersion(rawVersion);
  if (!version) return { kind: 'invalid', reason: `"${rawVersion}" is not a version: use digits separated by "." or "_" (1, 1.2, 2026_11_21_0930)` };
  if (extension !== 'sql') {
    if (prefix === 'U') return { kind: 'invalid', reason: 'undo files are SQL files; a scripted migration exports down(ctx) instead' };
    return { kind: 'migration', name: { role: 'script', version, description, rawDescription } };
  }
  return { kind: 'migration', name: { role: prefix === 'V' ? 'versioned' : 'undo', version, description, rawDescription } };
}
