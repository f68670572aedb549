/**
 * PostgreSQL `COPY ... FROM stdin` blocks, as pg_dump writes them: the statement, then its data
 * lines, then a line `\.`. psql sends the lines in between to the server as COPY data, never as SQL,
 * so the scanner must step over them (a data line may hold anything: quotes, `;`, `$$`).
 */
import { hasWordAt, isSpace } from './scanner-chars.js';

type CopyState = 'start' | 'copy' | 'from' | 'stdin' | 'no';

/**
 * Follows one statement's significant tokens (outside quotes and comments) to tell whether it is
 * `COPY <table> [(columns)] FROM STDIN [options]`. Only a FROM outside parentheses counts, so
 * `COPY (SELECT ... FROM stdin) TO STDOUT` (a table named stdin) is not one.
 */
export class CopyDetector {
  private state: CopyState = 'start';
  private parens = 0;

  /** True once the statement is known to be `COPY ... FROM STDIN`. */
  get fromStdin(): boolean {
    return this.state === 'stdin';
  }

  /** True once more tokens cannot change the answer: the scanner may stop feeding them. */
  get settled(): boolean {
    return this.state === 'no' || this.state === 'stdin';
  }

  /** Feeds a word `text[start, end)`. */
  word(text: string, start: number, end: number): void {
    const length = end - start;
    switch (this.state) {
      case 'start':
        this.state = length === 4 && hasWordAt(text, start, 'copy') ? 'copy' : 'no';
        return;
      case 'copy':
        if (this.parens === 0 && length === 4 && hasWordAt(text, start, 'from')) this.state = 'from';
        return;
      case 'from':
        // FROM 'file' and FROM PROGRAM 'command' read no data from the script.
        this.state = length === 5 && hasWordAt(text, start, 'stdin') ? 'stdin' : 'copy';
        return;
      default:
    }
  }

  /** Feeds any other significant token by its first character code. */
  other(c: number): void {
    switch (this.state) {
      case 'start':
        this.state = 'no';
        return;
      case 'from':
        this.state = 'copy';
        return;
      case 'copy':
        if (c === 40) this.parens++;
        else if (c === 41 && this.parens > 0) this.parens--;
        return;
      default:
    }
  }

  /** Starts over for a new statement. */
  reset(): void {
    this.state = 'start';
    this.parens = 0;
  }
}

/**
 * Where the COPY data starts after the statement's delimiter ending at `at`: just past the line
 * feed that ends the statement's line, or the text's length when that line is the last. psql reads
 * the data from the next line, so only whitespace and a `--` comment may follow the delimiter;
 * anything else returns `-(index + 1)` of the first such character.
 */
export function copyDataStart(text: string, at: number): number {
  const n = text.length;
  let i = at;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || !isSpace(c)) break;
    i++;
  }
  if (text.startsWith('--', i)) {
    const nl = text.indexOf('\n', i);
    i = nl < 0 ? n : nl;
  }
  if (i >= n) return n;
  return text.charCodeAt(i) === 10 ? i + 1 : -(i + 1);
}

/**
 * Index of the `\.` line that ends COPY data whose current line starts at `from`, or -1 when the
 * text holds none. A `\.` line is exactly `\.` followed by a line feed, or by the end of the input
 * (`final`); while more input may come, a `\.` at the very end of the text is not decided yet.
 */
export function findCopyEnd(text: string, from: number, final: boolean): number {
  const n = text.length;
  let i = text.indexOf('\\.', from);
  while (i >= 0) {
    if (i === from || text.charCodeAt(i - 1) === 10) {
      const after = i + 2;
      if (after < n ? text.charCodeAt(after) === 10 : final) return i;
    }
    i = text.indexOf('\\.', i + 1);
  }
  return -1;
}
