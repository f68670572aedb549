/**
 * The statement scanner's resumable core: walks the lexer's tokens over a buffer that may hold only
 * the start of the input, cuts statements at delimiters and `DELIMITER` lines, and steps over
 * PostgreSQL `COPY ... FROM stdin` data blocks. `scanStatements` (scanner.ts) gives it a whole text
 * at once; `streamStatements` (stream.ts) appends chunk after chunk. Inside a statement whose kind
 * is settled (an INSERT's rows), scanner-fast.ts steps over plain text without making tokens.
 *
 * Why a partial buffer yields the statements of the whole text: until the input ends, it lexes only
 * tokens that start before the buffer's last line feed. Every lexing decision there reads up to the
 * end of the token's line at most (words, delimiters and `DELIMITER` lines never span a line feed;
 * lookaheads such as `--x`, `E'`, `/*!` are shorter than the line), or to a closing quote or comment
 * found in the buffer. So each such token is cut exactly as in the whole text, except a quote or
 * comment still open at the end of the buffer, or closing at its very end (`'it'` may go on as
 * `'it''s'`): the scan stops there and lexes it again with more input.
 */
import type { Statement } from '../model.js';
import { createBlockTracker, type BlockTracker } from './scanner-blocks.js';
import { CopyDetector, copyDataStart, findCopyEnd } from './scanner-copy.js';
import { PlainSkipper } from './scanner-fast.js';
import { Lexer, type Token } from './scanner-lexer.js';
import { LineCounter } from './scanner-lines.js';
import type { SqlSyntax } from './syntax.js';

/** Where and why the scan stopped: an unterminated construct, or a malformed COPY block. */
export interface ScanError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/**
 * What `Splitter.scan` stopped at: `more` (what follows depends on input not appended yet), `copy`
 * (a COPY data block starts: read it with `readCopy`), `end` (the input ended, or `error` is set).
 */
export type SplitStatus = 'more' | 'copy' | 'end';

export interface SplitterOptions {
  /** 1-based line number of the input's first line. */
  readonly firstLine: number;
  /** Collect `pieces` and keep the whole buffer (whole-text scans); a stream keeps only what it still needs. */
  readonly pieces: boolean;
}

/** One scan of one input; see the file comment. Offsets named `local` index the buffer, others the input. */
export class Splitter {
  /** Statements found and not taken yet, in order; the caller may empty the array. */
  readonly statements: Statement[] = [];
  /** With `pieces` set: consecutive slices of the input, as `ScanResult.pieces` describes them. */
  readonly pieces: string[] | undefined;
  /** While `scan` says `copy`: the `COPY ... FROM stdin` statement whose data `readCopy` reads. */
  copyStatement: Statement | undefined;
  private scanError: ScanError | undefined;
  private state: 'sql' | 'copy' | 'end' = 'sql';
  private readonly lexer: Lexer;
  private readonly blocks: BlockTracker;
  private readonly copy: CopyDetector | undefined;
  private readonly lines: LineCounter;
  private readonly fast: PlainSkipper;
  private text = '';
  /** Absolute offset of `text[0]`. */
  private base = 0;
  /** Local: where the scan goes on. */
  private pos = 0;
  private pieceStart = 0;
  /** Local start of the current statement's first significant token, -1 while there is none. */
  private stmtStart = -1;
  /** Local end of the current statement's last significant token. */
  private stmtEnd = -1;

  constructor(syntax: SqlSyntax, options: SplitterOptions) {
    this.lexer = new Lexer('', syntax);
    this.blocks = createBlockTracker(syntax.blockBodies);
    this.copy = syntax.copyFromStdin === true ? new CopyDetector() : undefined;
    this.lines = new LineCounter(options.firstLine);
    this.fast = new PlainSkipper(syntax);
    this.pieces = options.pieces ? [] : undefined;
  }

  /** Set once the scan stopped on an unterminated construct or a malformed COPY block. */
  get error(): ScanError | undefined {
    return this.scanError;
  }

  /** How much of the buffer the next `append` keeps (the statement or data line being read). */
  get retained(): number {
    return this.text.length - this.dropPoint();
  }

  /** Appends the next text of the input, dropping what no statement needs any more (streams only). */
  append(more: string): void {
    const drop = this.dropPoint();
    if (drop > 0) {
      this.lines.advance(this.text, this.base, this.base + drop);
      this.text = this.text.slice(drop) + more;
      this.base += drop;
      this.pos -= drop;
      this.pieceStart -= drop;
      if (this.stmtStart >= 0) {
        this.stmtStart -= drop;
        this.stmtEnd -= drop;
      }
    } else {
      this.text += more;
    }
    this.lexer.reset(this.text);
  }

  /**
   * Scans on as far as the text appended so far decides; `final` once nothing more will be
   * appended. Statements found are added to `statements`.
   */
  scan(final: boolean): SplitStatus {
    if (this.state !== 'sql') return this.state;
    const text = this.text;
    const limit = final ? text.length : text.lastIndexOf('\n') + 1;
    let pos = this.pos;
    while (pos < limit) {
      if (this.stmtStart >= 0 && this.settled()) {
        pos = this.fast.skip(text, pos, limit);
        if (this.fast.end >= 0) this.stmtEnd = this.fast.end;
        if (pos >= limit) break;
      }
      const tok = this.lexer.next(pos);
      // A quote closing at the very end may be the first of a doubled quote: more input decides.
      if (!final && (tok.kind === 'unterminated' || tok.end >= text.length)) break;
      if (tok.kind === 'unterminated') return this.fail(this.base + tok.start, `unterminated ${tok.detail}`);
      pos = tok.end > pos ? tok.end : pos + 1;
      this.pos = pos;
      if (!this.take(tok)) return this.copyStatement ? 'copy' : 'end';
    }
    this.pos = pos;
    return final ? this.finish() : 'more';
  }

  /**
   * After `scan` said `copy`: the next data of the block, whole lines (`\n` included), dropped from
   * the buffer once returned; `''` when the buffer holds no complete line yet. Once the `\.` line
   * is reached (or, with `final`, the input ended without one: `error`), `copying` turns false and
   * `scan` goes on after it.
   */
  readCopy(final: boolean): string {
    const text = this.text;
    const from = this.pos;
    const end = findCopyEnd(text, from, final);
    if (end >= 0) {
      const next = text.charCodeAt(end + 2) === 10 ? end + 3 : end + 2;
      this.pos = next;
      this.cut(next);
      this.state = 'sql';
      this.copyStatement = undefined;
      return text.slice(from, end);
    }
    if (final) {
      const at = this.copyStatement ?? { line: 0, column: 0 };
      this.scanError = Object.freeze({ message: 'unterminated COPY ... FROM stdin data: no "\\." line ends it', line: at.line, column: at.column });
      this.cut(text.length);
      this.state = 'end';
      return '';
    }
    const whole = text.lastIndexOf('\n') + 1;
    if (whole <= from) return '';
    this.pos = whole;
    return text.slice(from, whole);
  }

  /** True between `scan` saying `copy` and the end of that data block. */
  get copying(): boolean {
    return this.state === 'copy';
  }

  /** Takes one token; false when the scan stops (a COPY data block starts, or an error). */
  private take(tok: Token): boolean {
    switch (tok.kind) {
      case 'space':
      case 'comment':
        return true;
      case 'delimiter':
        // Inside a body (`CREATE TRIGGER ... BEGIN ...; END`) the `;` is part of the statement.
        if (this.tracking() && this.blocks.open) this.significant(tok, 59);
        else if (this.copy?.fromStdin === true) return this.startCopy(tok.end);
        else this.endStatement(tok.end);
        return true;
      case 'directive':
        this.endStatement(tok.start);
        this.lexer.delimiter = tok.detail;
        this.cut(tok.end);
        return true;
      case 'word':
        this.significant(tok, -1);
        return true;
      default:
        this.significant(tok, this.text.charCodeAt(tok.start));
        return true;
    }
  }

  /** Feeds statement text; `c` is the first character of a non-word token, -1 for a word. */
  private significant(tok: Token, c: number): void {
    if (this.stmtStart < 0) this.stmtStart = tok.start;
    this.stmtEnd = tok.end;
    if (this.copy) {
      if (c < 0) this.copy.word(this.text, tok.start, tok.end);
      else this.copy.other(c);
    }
    if (!this.tracking()) return;
    if (c < 0) this.blocks.word(this.text, tok.start, tok.end, this.base);
    else this.blocks.other(c);
  }

  /** BEGIN ... END bodies only matter while `;` is the delimiter: `DELIMITER //` does the job itself. */
  private tracking(): boolean {
    return this.lexer.delimiter === ';';
  }

  /** The current statement's kind is known and no token can change how it ends but a quote or comment. */
  private settled(): boolean {
    return this.tracking() && this.blocks.settled && (this.copy === undefined || this.copy.settled);
  }

  private startCopy(delimiterEnd: number): boolean {
    const start = copyDataStart(this.text, delimiterEnd);
    if (start < 0) {
      this.fail(this.base - start - 1, 'text after "COPY ... FROM stdin;" on its line: psql reads the data from the next line');
      return false;
    }
    this.copyStatement = this.statement();
    this.resetStatement();
    this.pos = start;
    this.state = 'copy';
    return false;
  }

  private statement(): Statement {
    const { line, column } = this.lines.at(this.text, this.base, this.base + this.stmtStart);
    return { sql: this.text.slice(this.stmtStart, this.stmtEnd), line, column };
  }

  /** Ends the current statement and the current piece at local `pieceEnd`. */
  private endStatement(pieceEnd: number): void {
    if (this.stmtStart >= 0) this.statements.push(this.statement());
    this.resetStatement();
    this.cut(pieceEnd);
  }

  private resetStatement(): void {
    this.stmtStart = -1;
    this.stmtEnd = -1;
    this.blocks.reset();
    this.copy?.reset();
  }

  private cut(pieceEnd: number): void {
    if (this.pieces && pieceEnd > this.pieceStart) this.pieces.push(this.text.slice(this.pieceStart, pieceEnd));
    this.pieceStart = pieceEnd;
  }

  /** The end of the input: the last statement needs no delimiter, but an open body is an error. */
  private finish(): SplitStatus {
    if (this.stmtStart >= 0 && this.tracking() && this.blocks.open) {
      return this.fail(this.blocks.openedAt, `unterminated BEGIN ... END block of ${this.blocks.what}`);
    }
    if (this.stmtStart >= 0 && this.copy?.fromStdin === true) {
      return this.fail(this.base + this.stmtStart, 'unterminated COPY ... FROM stdin: its data must follow on the next lines, ended by a "\\." line');
    }
    this.endStatement(this.text.length);
    this.state = 'end';
    return 'end';
  }

  /** Stops the scan with an error at absolute `at`; the rest of the text is one last piece. */
  private fail(at: number, message: string): SplitStatus {
    this.scanError = Object.freeze({ message, ...this.lines.at(this.text, this.base, at) });
    this.cut(this.text.length);
    this.state = 'end';
    return 'end';
  }

  /** Local index before which nothing is needed any more; one character is kept: the lexer looks back for line starts. */
  private dropPoint(): number {
    if (this.pieces) return 0;
    const keep = this.state === 'sql' && this.stmtStart >= 0 ? this.stmtStart : this.pos;
    return keep > 0 ? keep - 1 : 0;
  }
}
