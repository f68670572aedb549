/**
 * The dialect-aware statement scanner: splits the text of a migration into the statements to send,
 * following only the engine's `SqlSyntax` flags. One linear pass, no regular expressions over the
 * text; it never throws. Lexing lives in scanner-lexer.ts, BEGIN ... END bodies in scanner-blocks.ts.
 */
import type { Statement } from '../model.js';
import { createBlockTracker, type BlockTracker } from './scanner-blocks.js';
import { Lexer, type Token } from './scanner-lexer.js';
import type { SqlSyntax } from './syntax.js';

/** Options of `scanStatements`. */
export interface ScanOptions {
  /** 1-based line number of the text's first line in its file (default 1). */
  readonly line?: number;
}

/** Where and why the text ends inside an unterminated construct. */
export interface ScanError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** The result of `scanStatements`. */
export interface ScanResult {
  /**
   * Consecutive slices of the input: `pieces.join('') === text`, always. A piece ends just after a
   * statement's delimiter, around a `DELIMITER` line, or at the end of the text; pieces made only of
   * whitespace and comments occur.
   */
  readonly pieces: ReadonlyArray<string>;
  /**
   * Statements to send, in order. `sql` runs from the first to the last character that is neither
   * whitespace nor comment (so it is trimmed, keeps inner comments, drops trailing ones) and never
   * includes the delimiter that ended it. `line`/`column` (1-based, `column` in UTF-16 code units,
   * lines counted by `\n` so CRLF works) locate its first character, offset by `options.line`.
   * Pieces of only whitespace and comments, and `DELIMITER x` lines, are not statements.
   */
  readonly statements: ReadonlyArray<Statement>;
  /**
   * Set when the text ends inside an unterminated quote, comment or BEGIN ... END body, pointing at
   * where it opened. The statement holding it is not returned; the ones before it are.
   */
  readonly error: ScanError | undefined;
}

/**
 * Splits `text` (a whole file or one section of it) into statements as the engine described by
 * `syntax` would read them. Called by the migration parser before anything runs. Never throws: a
 * text ending inside a quote, comment or body yields `error`, and an empty or comments-only text
 * yields no statements and no error. Linear in the length of the text.
 */
export function scanStatements(text: string, syntax: SqlSyntax, options: ScanOptions = {}): ScanResult {
  return new Splitter(text, syntax, options.line ?? 1).run();
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

/** Turns offsets into line/column; offsets must mostly grow, so the whole scan stays linear. */
class LineLocator {
  private line: number;
  private lineStart = 0;
  private nextLf: number;

  constructor(private readonly text: string, private readonly firstLine: number) {
    this.line = firstLine;
    this.nextLf = text.indexOf('\n');
  }

  at(offset: number): { readonly line: number; readonly column: number } {
    if (offset < this.lineStart) {
      this.line = this.firstLine;
      this.lineStart = 0;
      this.nextLf = this.text.indexOf('\n');
    }
    while (this.nextLf >= 0 && this.nextLf < offset) {
      this.line++;
      this.lineStart = this.nextLf + 1;
      this.nextLf = this.text.indexOf('\n', this.lineStart);
    }
    return { line: this.line, column: offset - this.lineStart + 1 };
  }
}

/** One scan: walks the tokens, cuts pieces at delimiters and directives, collects statements. */
class Splitter {
  private readonly lexer: Lexer;
  private readonly blocks: BlockTracker;
  private readonly lines: LineLocator;
  private readonly pieces: string[] = [];
  private readonly statements: Statement[] = [];
  private pieceStart = 0;
  /** Start of the current statement's first significant token, -1 while there is none. */
  private stmtStart = -1;
  /** End of the current statement's last significant token. */
  private stmtEnd = -1;

  constructor(private readonly text: string, syntax: SqlSyntax, firstLine: number) {
    this.lexer = new Lexer(text, syntax);
    this.blocks = createBlockTracker(syntax.blockBodies);
    this.lines = new LineLocator(text, firstLine);
  }

  run(): ScanResult {
    const length = this.text.length;
    let pos = 0;
    while (pos < length) {
      const tok = this.lexer.next(pos);
      if (tok.kind === 'unterminated') return this.finish(tok.start, `unterminated ${tok.detail}`);
      this.take(tok);
      pos = tok.end > pos ? tok.end : pos + 1;
    }
    if (this.stmtStart >= 0 && this.tracking() && this.blocks.open) {
      return this.finish(this.blocks.openedAt, `unterminated BEGIN ... END block of ${this.blocks.what}`);
    }
    this.endStatement(length);
    return this.finish(-1, '');
  }

  private take(tok: Token): void {
    switch (tok.kind) {
      case 'space':
      case 'comment':
        return;
      case 'delimiter':
        // Inside a body (`CREATE TRIGGER ... BEGIN ...; END`) the `;` is part of the statement.
        if (this.tracking() && this.blocks.open) this.significant(tok, 59);
        else this.endStatement(tok.end);
        return;
      case 'directive':
        this.endStatement(tok.start);
        this.lexer.delimiter = tok.detail;
        this.cut(tok.end);
        return;
      case 'word':
        this.significant(tok, -1);
        return;
      default:
        this.significant(tok, this.text.charCodeAt(tok.start));
    }
  }

  /** Feeds statement text; `c` is the first character of a non-word token, -1 for a word. */
  private significant(tok: Token, c: number): void {
    if (this.stmtStart < 0) this.stmtStart = tok.start;
    this.stmtEnd = tok.end;
    if (!this.tracking()) return;
    if (c < 0) this.blocks.word(this.text, tok.start, tok.end);
    else this.blocks.other(c);
  }

  /** BEGIN ... END bodies only matter while `;` is the delimiter: `DELIMITER //` does the job itself. */
  private tracking(): boolean {
    return this.lexer.delimiter === ';';
  }

  /** Ends the current statement and the current piece at `pieceEnd`. */
  private endStatement(pieceEnd: number): void {
    if (this.stmtStart >= 0) {
      const { line, column } = this.lines.at(this.stmtStart);
      this.statements.push({ sql: this.text.slice(this.stmtStart, this.stmtEnd), line, column });
    }
    this.stmtStart = -1;
    this.stmtEnd = -1;
    this.blocks.reset();
    this.cut(pieceEnd);
  }

  private cut(pieceEnd: number): void {
    if (pieceEnd > this.pieceStart) this.pieces.push(this.text.slice(this.pieceStart, pieceEnd));
    this.pieceStart = pieceEnd;
  }

  /** The result; `errorAt` < 0 means no error. */
  private finish(errorAt: number, message: string): ScanResult {
    this.cut(this.text.length);
    const error = errorAt < 0 ? undefined : Object.freeze({ message, ...this.lines.at(errorAt) });
    return Object.freeze({ pieces: Object.freeze(this.pieces), statements: Object.freeze(this.statements), error });
  }
}
