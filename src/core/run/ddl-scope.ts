/**
 * The objects a DDL statement names, so that the journal of a statement run outside a transaction
 * fingerprints only those (`Driver.schemaFingerprint(scope)`): a resume after a crash compares that
 * fingerprint again to learn whether the statement took effect. Fingerprinting the whole schema
 * before every statement cost a round trip that grew with the schema (docs/performance.md).
 *
 * A trigger is reached through its table (CREATE TRIGGER names it), so DROP TRIGGER, which names
 * no table, is not read. Only plain forms are
 * read; anything else (a qualified name, a table rename, an unknown statement) is `undefined`, and
 * the whole schema is fingerprinted as before. A scope too wide is harmless
 * (the run holds the lock: nothing else changes those objects meanwhile); one too narrow is not,
 * hence the refusals.
 */

import type { DdlScope } from '../ports.js';

const IDENTIFIER = String.raw`(?:\x60(?:[^\x60]|\x60\x60)+\x60|"(?:[^"]|"")+"|[\p{L}\p{N}_$]+)`;
const LIST = String.raw`${IDENTIFIER}(?:\s*,\s*${IDENTIFIER})*`;
// CREATE modifiers MySQL and MariaDB allow before the object kind.
const DEFINER = String.raw`(?:DEFINER\s*=\s*\S+\s+)?`;
const MODIFIERS = String.raw`(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?${DEFINER}(?:SQL\s+SECURITY\s+\w+\s+)?`;
const IF_NOT_EXISTS = String.raw`(?:IF\s+NOT\s+EXISTS\s+)?`;
const IF_EXISTS = String.raw`(?:IF\s+EXISTS\s+)?`;

type Kind = keyof DdlScope;

/** Forms read: each capture group is a list of names of the kind at the same place in `kinds`. */
const FORMS: ReadonlyArray<{ readonly pattern: RegExp; readonly kinds: ReadonlyArray<Kind> }> = [
  { pattern: new RegExp(String.raw`^CREATE\s+${MODIFIERS}(?:TABLE|VIEW)\s+${IF_NOT_EXISTS}(${IDENTIFIER})`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^CREATE\s+${MODIFIERS}(?:PROCEDURE|FUNCTION)\s+${IF_NOT_EXISTS}(${IDENTIFIER})`, 'iu'), kinds: ['routines'] },
  { pattern: new RegExp(String.raw`^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+${IF_EXISTS}(${IDENTIFIER})`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^DROP\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW)\s+${IF_EXISTS}(${LIST})\s*(?:RESTRICT|CASCADE)?\s*$`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^DROP\s+(?:PROCEDURE|FUNCTION)\s+${IF_EXISTS}(${IDENTIFIER})\s*$`, 'iu'), kinds: ['routines'] },
  { pattern: new RegExp(String.raw`^TRUNCATE\s+(?:TABLE\s+)?(${IDENTIFIER})\s*$`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+${IF_NOT_EXISTS}${IDENTIFIER}\s+(?:USING\s+\w+\s+)?ON\s+(${IDENTIFIER})`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^DROP\s+INDEX\s+${IF_EXISTS}${IDENTIFIER}\s+ON\s+(${IDENTIFIER})`, 'iu'), kinds: ['tables'] },
  { pattern: new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?${DEFINER}TRIGGER\s+${IF_NOT_EXISTS}${IDENTIFIER}\s+(?:BEFORE|AFTER)\s+\w+(?:\s+OR\s+\w+)*\s+ON\s+(${IDENTIFIER})`, 'iu'), kinds: ['triggersOf'] },
  { pattern: new RegExp(String.raw`^RENAME\s+TABLES?\s+(${IDENTIFIER}\s+TO\s+${IDENTIFIER}(?:\s*,\s*${IDENTIFIER}\s+TO\s+${IDENTIFIER})*)\s*$`, 'iu'), kinds: ['tables'] },
];

/** A table rename inside ALTER TABLE (`RENAME TO u`, `RENAME AS u`, `RENAME u`), not of a column, index or constraint. */
const ALTER_RENAME = /\bRENAME\s+(?!(?:COLUMN|INDEX|KEY|CONSTRAINT)\b)/iu;

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?!!)[\s\S]*?\*\/)*/u;

function unquote(name: string): string {
  if (name.startsWith('`')) return name.slice(1, -1).replaceAll('``', '`');
  if (name.startsWith('"')) return name.slice(1, -1).replaceAll('""', '"');
  return name;
}

function namesIn(list: string): string[] {
  return [...list.matchAll(new RegExp(IDENTIFIER, 'gu'))].map((match) => unquote(match[0])).filter((name) => !/^TO$/iu.test(name));
}

/** What `sql` (one DDL statement) changes, or `undefined` when it cannot be told for sure. */
export function ddlScope(sql: string): DdlScope | undefined {
  const text = sql.replace(LEADING_COMMENTS, '');
  for (const { pattern, kinds } of FORMS) {
    const match = pattern.exec(text);
    if (!match) continue;
    if (/^ALTER/iu.test(text) && ALTER_RENAME.test(text)) return undefined;
    // A name followed by a dot is qualified: the object may live in another schema.
    if (text.slice(match.index + match[0].length).startsWith('.')) return undefined;
    const scope: Record<Kind, string[]> = { tables: [], routines: [], triggersOf: [] };
    kinds.forEach((kind, index) => scope[kind].push(...namesIn(match[index + 1] ?? '')));
    return { tables: [...new Set(scope.tables)], routines: [...new Set(scope.routines)], triggersOf: [...new Set(scope.triggersOf)] };
  }
  return undefined;
}
