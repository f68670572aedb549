/**
 * The statement scanner's fast path, for the bulk of a data migration: inside a statement whose
 * kind is settled (an INSERT, once its first word is read), only quotes, comments and the
 * delimiter can matter, so it searches for them natively instead of making a token per word.
 */
import { NOT_CLOSED, isSpace, isWordChar, skipQuoted } from './scanner-chars.js';
import type { SqlSyntax } from './syntax.js';

/**
 * Where the fast path hands over to the lexer: quotes, comment starts, the `;` delimiter, `$`
 * (dollar quotes), and with `DELIMITER` lines (MySQL) a line that may hold one.
 */
const STOPS = /['"`[#;$]|--|\/\*/g;
const STOPS_AND_DIRECTIVES = /['"`[#;$]|--|\/\*|\n(?=[ \t]*delimiter)/gi;
/** At a line start: what may begin a `DELIMITER` line (the lexer decides whether it is one). */
const DIRECTIVE_AHEAD = /[ \t]*delimiter/iy;

/** Steps over plain statement text for one engine; see `skip`. */
export class PlainSkipper {
  /** After `skip`: end of the last character of statement text it stepped over, -1 for none. */
  end = -1;
  /** A copy of STOPS or STOPS_AND_DIRECTIVES: `lastIndex` is this skipper's own. */
  private readonly stops: RegExp;
  /** MySQL's `DELIMITER` lines: a line that may be one is left to the lexer. */
  private readonly lineStarts: boolean;
  private readonly backslashEscapes: boolean;

  constructor(syntax: SqlSyntax) {
    this.stops = new RegExp(syntax.delimiterDirective ? STOPS_AND_DIRECTIVES : STOPS);
    this.lineStarts = syntax.delimiterDirective;
    this.backslashEscapes = syntax.backslashEscapes;
  }

  /**
   * Steps over the plain text of a settled statement from `start`: finds the next place the lexer
   * must look at with a native regular-expression search, and steps over plain '...' and "..."
   * quotes itself. It hands over at the start of the word run before a stop, so the lexer cuts
   * `E'`, `a$b$` and words as it would have, and leaves a line that may be a MySQL `DELIMITER` line
   * to the lexer. Everything stepped over is words, plain punctuation, spaces and quotes, so the
   * statement's text ends at the last non-space character of it (`end`). Returns where the lexer
   * goes on: at most `limit`, unless a quote starting before it ends after it.
   */
  skip(text: string, start: number, limit: number): number {
    this.end = -1;
    if (this.lineStarts && (start === 0 || text.charCodeAt(start - 1) === 10)) {
      DIRECTIVE_AHEAD.lastIndex = start;
      if (DIRECTIVE_AHEAD.test(text)) return start;
    }
    const stops = this.stops;
    let pos = start;
    while (pos < limit) {
      stops.lastIndex = pos;
      let stop = limit;
      if (stops.test(text)) {
        const after = stops.lastIndex;
        // Every stop is one character but `--` and `/*`, whose second character no other stop ends with.
        const c = text.charCodeAt(after - 1);
        stop = Math.min(limit, c === 45 || c === 42 ? after - 2 : after - 1);
      }
      let wordStart = stop;
      while (wordStart > pos && isWordChar(text.charCodeAt(wordStart - 1))) wordStart--;
      let end = wordStart;
      while (end > pos && isSpace(text.charCodeAt(end - 1))) end--;
      if (end > pos) this.end = end;
      const quote = text.charCodeAt(stop);
      if (stop >= limit || wordStart < stop || (quote !== 39 && quote !== 34)) return wordStart;
      const close = skipQuoted(text, stop, quote, this.backslashEscapes);
      if (close === NOT_CLOSED || close === text.length) return stop;
      this.end = close;
      pos = close;
    }
    return pos;
  }
}
