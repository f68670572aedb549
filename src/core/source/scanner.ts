/**
 * The dialect-aware statement scanner: splits the text of a migration into the statements to send,
 * following only the engine's `SqlSyntax` flags. One linear pass, no regular expressions over the
 * text; it never throws. Lexing lives in scanner-lexer.ts, BEGIN ... END bodies in scanner-blocks.ts,
 * COPY data blocks in scanner-copy.ts, the resumable walk shared with stream.ts in scanner-splitter.ts.
 */
import type { Statement } from '../model.js';
import { Lexer } from './scanner-lexer.js';
import { Splitter, type ScanError } from './scanner-splitter.js';
import type { SqlSyntax } from './syntax.js';

export type { ScanError } from './scanner-splitter.js';

/** Options of `scanStatements`. */
export interface ScanOptions {
  /** 1-based line number of the text's first line in its file (default 1). */
  readonly line?: number;
}

/** The result of `scanStatements`. */
export interface ScanResult {
  /**
   * Consecutive slices of the input: `pieces.join('') === text`, always. A piece ends just after a
   * statement's delimiter (after the `\.` line of a COPY data block), around a `DELIMITER` line, or
   * at the end of the text; pieces made only of whitespace and comments occur.
   */
  readonly pieces: ReadonlyArray<string>;
  /**
   * Statements to send, in order. `sql` runs from the first to the last character that is neither
   * whitespace nor comment (so it is trimmed, keeps inner comments, drops trailing ones) and never
   * includes the delimiter that ended it. `line`/`column` (1-based, `column` in UTF-16 code units,
   * lines counted by `\n` so CRLF works) locate its first character, offset by `options.line`.
   * Pieces of only whitespace and comments, and `DELIMITER x` lines, are not statements. A
   * PostgreSQL `COPY ... FROM stdin` statement carries the data lines that follow it in `copyData`.
   */
  readonly statements: ReadonlyArray<Statement>;
  /**
   * Set when the text ends inside an unterminated quote, comment, BEGIN ... END body or COPY data
   * block (no `\.` line), pointing at where it opened, or when text follows `COPY ... FROM stdin;`
   * on its line. The statement holding it is not returned; the ones before it are.
   */
  readonly error: ScanError | undefined;
}

/**
 * Splits `text` (a whole file or one section of it) into statements as the engine described by
 * `syntax` would read them. Called by the migration parser before anything runs. Never throws: a
 * text ending inside a quote, comment, body or COPY data block yields `error`, and an empty or
 * comments-only text yields no statements and no error. Linear in the length of the text. For a
 * file too large to hold whole, `streamStatements` (stream.ts) gives the same statements.
 */
export function scanStatements(text: string, syntax: SqlSyntax, options: ScanOptions = {}): ScanResult {
  const splitter = new Splitter(syntax, { firstLine: options.line ?? 1, pieces: true });
  splitter.append(text);
  while (splitter.scan(true) === 'copy') {
    const copy = splitter.copyStatement;
    const copyData = splitter.readCopy(true);
    if (copy && splitter.error === undefined) splitter.statements.push({ ...copy, copyData });
  }
  return Object.freeze({ pieces: Object.freeze(splitter.pieces ?? []), statements: Object.freeze(splitter.statements), error: splitter.error });
}

/**
 * True when `sql` (one statement from `scanStatements`) is one the engine refuses inside a
 * transaction: one of `syntax.nonTransactional` matches it once its leading comments and
 * whitespace are stripped. The patterns should be non-global (`g`/`y` make `test` stateful).
 */
export function isNonTransactional(sql: string, syntax: SqlSyntax): boolean {
  if (syntax.nonTransactional.length === 0) return false;
  const lexer = new Lexer(sql, syntax);
  let pos = 0;
  while (pos < sql.length) {
    const tok = lexer.next(pos);
    if (tok.kind === 'unterminated') return false;
    if (tok.kind !== 'space' && tok.kind !== 'comment' && tok.kind !== 'hint') break;
    pos = tok.end;
  }
  const body = sql.slice(pos);
  return syntax.nonTransactional.some((pattern) => pattern.test(body));
}
