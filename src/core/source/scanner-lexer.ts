/**
 * The statement scanner's lexer: cuts SQL text into the few kinds of token that matter for finding
 * statement boundaries, following one engine's `SqlSyntax` flags. It keeps no state but the
 * current delimiter, and reports a construct still open at the end of the text as `unterminated`
 * (a streaming scanner would read that as "need more input" until the input really ends).
 */
import {
  NOT_CLOSED, dollarTagEnd, hasWordAt, isSpace, isWordChar, skipBlockComment, skipBracket, skipLineComment,
  skipQuoted, skipSpace, skipWord,
} from './scanner-chars.js';
import type { SqlSyntax } from './syntax.js';

/**
 * - `space`, `comment`: not statement text.
 * - `hint`: a comment the engine executes (MySQL `/*! ... *\/`), so it is statement text.
 * - `word`, `quoted` (strings, quoted identifiers, dollar quotes), `other` (one character).
 * - `delimiter`: the current delimiter; `directive`: a whole `DELIMITER x` line.
 * - `unterminated`: a quote or comment opened at `start` and still open at the end of the text.
 */
export type TokenKind =
  'space' | 'comment' | 'hint' | 'word' | 'quoted' | 'other' | 'delimiter' | 'directive' | 'unterminated';

/** One token: `[start, end)` of the text, never empty. */
export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** `directive`: the new delimiter. `unterminated`: what is open, for the message. Otherwise `''`. */
  readonly detail: string;
}

const DEFAULT_DELIMITER = ';';

function token(kind: TokenKind, start: number, end: number, detail = ''): Token {
  return { kind, start, end, detail };
}

/** Lexes one text; the caller walks it token by token with `next`, feeding back each token's end. */
export class Lexer {
  private delimiterText = DEFAULT_DELIMITER;
  /** `undefined` while the delimiter is `;`, which can never occur inside a word. */
  private wordStop: string | undefined = undefined;

  constructor(private text: string, private readonly syntax: SqlSyntax) {}

  /**
   * Lexes `text` from now on, keeping the delimiter: the streaming scanner calls it each time its
   * buffer changes. Positions passed to `next` are then indexes of the new text.
   */
  reset(text: string): void {
    this.text = text;
  }

  /** The current statement delimiter: `;` until a `DELIMITER` line changes it. */
  get delimiter(): string {
    return this.delimiterText;
  }

  /** Applies a `DELIMITER` directive's token. */
  set delimiter(value: string) {
    this.delimiterText = value;
    this.wordStop = value === DEFAULT_DELIMITER ? undefined : value;
  }

  /** The token starting at `pos` (which must be below the text's length), outside any quote or comment. */
  next(pos: number): Token {
    const text = this.text;
    if (this.syntax.delimiterDirective && (pos === 0 || text.charCodeAt(pos - 1) === 10)) {
      const directive = this.directive(pos);
      if (directive) return directive;
    }
    // The mysql client looks for its delimiter before anything else, as the server never sees it.
    if (text.startsWith(this.delimiterText, pos)) return token('delimiter', pos, pos + this.delimiterText.length);
    const c = text.charCodeAt(pos);
    if (isSpace(c)) return token('space', pos, skipSpace(text, pos));
    const quoteOrComment = this.quoteOrComment(c, pos);
    if (quoteOrComment) return quoteOrComment;
    if (isWordChar(c)) return token('word', pos, skipWord(text, pos, this.wordStop));
    return token('other', pos, pos + 1);
  }

  private quoteOrComment(c: number, pos: number): Token | undefined {
    const { text, syntax } = this;
    const d = text.charCodeAt(pos + 1);
    switch (c) {
      case 39: // '
        return this.closed(pos, skipQuoted(text, pos, 39, syntax.backslashEscapes), 'string literal');
      case 34: // "
        return this.closed(pos, skipQuoted(text, pos, 34, syntax.backslashEscapes), 'double-quoted identifier or string');
      case 96: // `
        return syntax.backtickIdentifiers ? this.closed(pos, skipQuoted(text, pos, 96, false), 'backtick-quoted identifier') : undefined;
      case 91: // [
        return syntax.bracketIdentifiers ? this.closed(pos, skipBracket(text, pos), '[bracketed] identifier') : undefined;
      case 69: // E
      case 101: // e
        return syntax.escapeStrings && d === 39 ? this.closed(pos, skipQuoted(text, pos + 1, 39, true), 'string literal') : undefined;
      case 36: // $
        return syntax.dollarQuotes ? this.dollarQuote(pos) : undefined;
      case 35: // #
        return syntax.hashComments ? token('comment', pos, skipLineComment(text, pos)) : undefined;
      case 45: // -
        return d === 45 && this.dashComment(pos) ? token('comment', pos, skipLineComment(text, pos)) : undefined;
      case 47: // /
        return d === 42 ? this.blockComment(pos) : undefined;
      default:
        return undefined;
    }
  }

  private closed(start: number, end: number, what: string): Token {
    return end === NOT_CLOSED ? token('unterminated', start, this.text.length, what) : token('quoted', start, end);
  }

  private dashComment(pos: number): boolean {
    if (!this.syntax.dashCommentNeedsSpace) return true;
    // MySQL reads `--1` as minus minus one: a comment needs a space or control character after it.
    const after = pos + 2;
    return after >= this.text.length || this.text.charCodeAt(after) <= 32;
  }

  private blockComment(pos: number): Token {
    const end = skipBlockComment(this.text, pos, this.syntax.nestedBlockComments);
    if (end === NOT_CLOSED) return token('unterminated', pos, this.text.length, 'block comment');
    return token(this.isExecutable(pos) ? 'hint' : 'comment', pos, end);
  }

  /** MySQL runs `/*! ... *\/` (and MariaDB `/*M! ... *\/`) as SQL: mysqldump files are full of them. */
  private isExecutable(pos: number): boolean {
    if (this.syntax.executableComments !== true) return false;
    const c = this.text.charCodeAt(pos + 2);
    return c === 33 || (c === 77 && this.text.charCodeAt(pos + 3) === 33);
  }

  private dollarQuote(pos: number): Token | undefined {
    const tagEnd = dollarTagEnd(this.text, pos);
    if (tagEnd === NOT_CLOSED) return undefined;
    const tag = this.text.slice(pos, tagEnd);
    const close = this.text.indexOf(tag, tagEnd);
    if (close < 0) return token('unterminated', pos, this.text.length, `dollar-quoted string ${tag}`);
    return token('quoted', pos, close + tag.length);
  }

  /** A `DELIMITER x` line at `pos` (a line start), including its line feed; the rest of the line is ignored. */
  private directive(pos: number): Token | undefined {
    const text = this.text;
    let i = pos;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    if (!hasWordAt(text, i, 'delimiter')) return undefined;
    i += 'delimiter'.length;
    const gap = i;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    if (i === gap) return undefined;
    const from = i;
    while (i < text.length && !isSpace(text.charCodeAt(i))) i++;
    if (i === from) return undefined;
    const nl = text.indexOf('\n', i);
    return token('directive', pos, nl < 0 ? text.length : nl + 1, text.slice(from, i));
  }
}
