/**
 * The running hash of a journaled migration's applied statements. A resume compares the hash of
 * the file's first statements with the recorded one: only statements after the applied prefix may
 * change between a failure and `up --resume`.
 */
import { createHash } from 'node:crypto';
import type { Statement } from './model.js';

/** The running hash after `statement`. */
export function nextHash(previous: string | null, statement: Statement): string {
  return createHash('sha256').update(previous ?? '').update('\n').update(statement.sql).digest('hex');
}

/** The running hash of a sequence of statements (null when empty). */
export function prefixHash(statements: ReadonlyArray<Statement>): string | null {
  return statements.reduce<string | null>((hash, statement) => nextHash(hash, statement), null);
}
