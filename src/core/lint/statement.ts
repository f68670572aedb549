/**
 * Rules over one statement, chosen by its leading keywords: DROP, TRUNCATE, unbounded DELETE and
 * UPDATE, CREATE/DROP INDEX, ALTER TABLE (see alter.ts), RENAME TABLE, SET of a lock timeout.
 * Only the statement's own verb counts: a DELETE inside a trigger body or `ON DELETE CASCADE` in
 * a foreign key is not a DELETE statement, and function bodies and DO blocks are opaque.
 */
import type { SqlSyntax } from '../source/syntax.js';
import { alterTableHits } from './alter.js';
import type { Hit } from './hit.js';
import type { LintRuleName } from './rules.js';
import { findWords, isWord, nameAt, skipWords, wordsAt, type NameRef, type SqlToken } from './tokens.js';

/** What one statement contributes to the lint of its script. */
export interface StatementAnalysis {
  readonly hits: ReadonlyArray<Hit>;
  /** `NameRef.key` of the table this statement creates, if it is a CREATE TABLE. */
  readonly created: string | undefined;
}

const NOTHING: StatementAnalysis = { hits: [], created: undefined };
const DML_VERBS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE'];

/** Analyses one statement's tokens (from `tokenize`). Pure; never throws. */
export function analyseStatement(tokens: ReadonlyArray<SqlToken>, syntax: SqlSyntax): StatementAnalysis {
  const at = verbIndex(tokens);
  const hits = (list: Hit[]): StatementAnalysis => ({ hits: list, created: undefined });
  switch (tokens[at]?.upper) {
    case 'DELETE':
      return hits(unbounded(tokens, at, 'delete-without-where', nameAfter(tokens, findWords(tokens, at, 'FROM') + 1)));
    case 'UPDATE':
      return hits(unbounded(tokens, at, 'update-without-where', nameAfter(tokens, updatedTableAt(tokens, at))));
    case 'TRUNCATE':
      return hits(truncateHits(tokens));
    case 'DROP':
      return hits(dropHits(tokens, syntax));
    case 'CREATE':
      return createAnalysis(tokens, syntax);
    case 'ALTER':
      return hits(alterHits(tokens, syntax));
    case 'RENAME':
      return hits(renameTableHits(tokens));
    case 'SET':
      return hits(lockTimeoutHits(tokens));
    default:
      return NOTHING;
  }
}

/** The statement's verb: the first word, or after a `WITH ...` list, the DML verb it leads to. */
function verbIndex(tokens: ReadonlyArray<SqlToken>): number {
  if (!isWord(tokens[0], 'WITH')) return 0;
  const at = tokens.findIndex((t, i) => i > 0 && t.depth === 0 && isWord(t, ...DML_VERBS));
  return at < 0 ? 0 : at;
}

/** The name at `index` after an optional ONLY (PostgreSQL's "not the inheritance children"). */
function nameAfter(tokens: ReadonlyArray<SqlToken>, index: number): NameRef | undefined {
  return index <= 0 ? undefined : nameAt(tokens, skipWords(tokens, index, ['ONLY']));
}

/** After MySQL's `UPDATE [LOW_PRIORITY] [IGNORE]` and SQLite's `UPDATE OR <conflict>`. */
function updatedTableAt(tokens: ReadonlyArray<SqlToken>, at: number): number {
  const i = skipWords(tokens, at + 1, ['LOW_PRIORITY'], ['IGNORE']);
  return isWord(tokens[i], 'OR') ? i + 2 : i;
}

function unbounded(tokens: ReadonlyArray<SqlToken>, at: number, rule: LintRuleName, table: NameRef | undefined): Hit[] {
  if (findWords(tokens, at + 1, 'WHERE') >= 0) return [];
  const verb = tokens[at]?.upper ?? '';
  const target = table?.display ?? 'the table';
  return [{ rule, message: `${verb} without a WHERE clause touches every row of ${target} in one statement`, ...(table ? { table: table.key } : {}) }];
}

function truncateHits(tokens: ReadonlyArray<SqlToken>): Hit[] {
  const table = nameAfter(tokens, skipWords(tokens, 1, ['TABLE']));
  return [{ rule: 'truncate', message: `TRUNCATE removes every row of ${table?.display ?? 'the table'} at once`, ...(table ? { table: table.key } : {}) }];
}

/** The names of `DROP TABLE [IF EXISTS] a, b`, one hit each. */
function dropHits(tokens: ReadonlyArray<SqlToken>, syntax: SqlSyntax): Hit[] {
  if (isWord(tokens[1], 'INDEX')) {
    if (syntax.concurrentIndexes !== true || isWord(tokens[2], 'CONCURRENTLY')) return [];
    return [{ rule: 'non-concurrent-index', message: 'DROP INDEX without CONCURRENTLY blocks reads and writes of its table while it waits and runs', hint: 'DROP INDEX CONCURRENTLY in its own migration (it runs outside a transaction automatically).' }];
  }
  // MySQL's DROP TEMPORARY TABLE only drops a table of this session.
  if (!isWord(tokens[1], 'TABLE')) return [];
  const found: Hit[] = [];
  let i = skipWords(tokens, 2, ['IF', 'EXISTS']);
  for (let name = nameAt(tokens, i); name; name = tokens[i]?.text === ',' ? nameAt(tokens, ++i) : undefined) {
    found.push({ rule: 'drop-table', message: `DROP TABLE ${name.display}: the table and its data are gone, and code still using it fails`, table: name.key });
    i = name.next;
  }
  return found;
}

function createAnalysis(tokens: ReadonlyArray<SqlToken>, syntax: SqlSyntax): StatementAnalysis {
  const at = skipWords(tokens, 1, ['OR', 'REPLACE'], ['GLOBAL'], ['LOCAL'], ['TEMP'], ['TEMPORARY'], ['UNLOGGED']);
  if (isWord(tokens[at], 'TABLE')) {
    // With IF NOT EXISTS the table may well exist already, with rows and users.
    return { hits: [], created: wordsAt(tokens, at + 1, 'IF', 'NOT', 'EXISTS') ? undefined : nameAt(tokens, at + 1)?.key };
  }
  const index = skipWords(tokens, 1, ['UNIQUE']);
  if (!isWord(tokens[index], 'INDEX') || syntax.concurrentIndexes !== true || isWord(tokens[index + 1], 'CONCURRENTLY')) return NOTHING;
  const table = nameAfter(tokens, findWords(tokens, index, 'ON') + 1);
  const message = `CREATE INDEX without CONCURRENTLY blocks writes to ${table?.display ?? 'its table'} until the index is built`;
  return { hits: [{ rule: 'non-concurrent-index', message, ...(table ? { table: table.key } : {}) }], created: undefined };
}

function alterHits(tokens: ReadonlyArray<SqlToken>, syntax: SqlSyntax): Hit[] {
  // MySQL's `ALTER ONLINE|IGNORE TABLE`; PostgreSQL's `ALTER [MATERIALIZED] VIEW ... RENAME`.
  const at = skipWords(tokens, 1, ['ONLINE'], ['OFFLINE'], ['IGNORE'], ['MATERIALIZED']);
  if (!isWord(tokens[at], 'TABLE', 'VIEW')) return [];
  const name = nameAt(tokens, skipWords(tokens, at + 1, ['IF', 'EXISTS'], ['ONLY']));
  if (!name) return [];
  const next = tokens[name.next]?.text === '*' ? name.next + 1 : name.next;
  if (isWord(tokens[at], 'TABLE')) return alterTableHits(tokens.slice(next), name, syntax);
  if (!isWord(tokens[next], 'RENAME')) return [];
  return [{ rule: 'rename', message: `renames view ${name.display} or one of its columns: running code using the old name breaks`, table: name.key }];
}

/** MySQL's `RENAME TABLE a TO b [, c TO d]`: one finding for the statement, named by its first pair. */
function renameTableHits(tokens: ReadonlyArray<SqlToken>): Hit[] {
  if (!isWord(tokens[1], 'TABLE')) return [];
  const from = nameAt(tokens, 2);
  const to = from && isWord(tokens[from.next], 'TO') ? nameAt(tokens, from.next + 1) : undefined;
  const message = `RENAME TABLE ${from?.display ?? ''}${to ? ` TO ${to.display}` : ''}: running code using the old name breaks`;
  return [{ rule: 'rename', message, ...(from ? { table: from.key } : {}) }];
}

/**
 * PostgreSQL `SET [SESSION|LOCAL] lock_timeout = 0` (also `TO '0'`, `'0s'`), and MySQL
 * `SET [SESSION] lock_wait_timeout = N` (also `@@session.`, `:=`) above 60 seconds.
 */
function lockTimeoutHits(tokens: ReadonlyArray<SqlToken>): Hit[] {
  const found: Hit[] = [];
  tokens.forEach((token, i) => {
    if (token.depth !== 0 || !isWord(token, 'LOCK_TIMEOUT', 'LOCK_WAIT_TIMEOUT')) return;
    const valueAt = tokens[i + 1]?.text === ':' && tokens[i + 2]?.text === '=' ? i + 3 : tokens[i + 1]?.text === '=' || isWord(tokens[i + 1], 'TO') ? i + 2 : -1;
    const value = tokens[valueAt];
    if (!value || value.kind === 'punct') return;
    const text = value.kind === 'quoted' ? value.text.slice(1, -1).trim() : value.text;
    if (token.upper === 'LOCK_TIMEOUT' && /^0+(?:\.0*)?\s*[a-z]*$/i.test(text)) {
      found.push({ rule: 'risky-ddl-without-lock-timeout', message: `SET ${token.text} = ${value.text} turns off the lock timeout migrator sets: DDL waiting for a lock would queue every query on the table behind it` });
    } else if (token.upper === 'LOCK_WAIT_TIMEOUT' && /^\d+$/.test(text) && Number(text) > 60) {
      found.push({ rule: 'risky-ddl-without-lock-timeout', message: `SET ${token.text} = ${text} lets DDL wait ${text} s for a metadata lock, with every query on the table queued behind it` });
    }
  });
  return found;
}
