/**
 * Character classes and skip functions for the statement scanner's lexer. Every function takes a
 * UTF-16 index and returns one; none allocates or looks backwards, so the scanner stays linear.
 */

/** Returned by the skip functions when the construct is still open at the end of the text. */
export const NOT_CLOSED = -1;

/**
 * Whitespace exactly as `String.prototype.trim` sees it, so that a statement sliced from the first
 * to the last non-space character is already trimmed.
 */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Letters, digits, `_`, `$` and non-ASCII letters: what the engines accept in unquoted identifiers. */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 ||
    (c >= 0x80 && !isSpace(c));
}

/** PostgreSQL dollar-quote tags are identifiers without `$`: a digit may follow but not start. */
function isTagChar(c: number, first: boolean): boolean {
  if (c === 36) return false;
  if (c >= 48 && c <= 57) return !first;
  return isWordChar(c);
}

/**
 * End (exclusive) of a quoted run opened by the quote at `open`, or NOT_CLOSED. A doubled quote
 * stands for itself; with `backslash`, a backslash makes the next character literal.
 */
export function skipQuoted(text: string, open: number, quote: number, backslash: boolean): number {
  const n = text.length;
  // Native searches for the next quote (or backslash): several times faster than a charCodeAt loop.
  const plain = backslash ? (quote === 39 ? SINGLE_QUOTED_RUN : quote === 34 ? DOUBLE_QUOTED_RUN : undefined) : undefined;
  const quoteChar = String.fromCharCode(quote);
  let i = open + 1;
  while (i < n) {
    if (plain) {
      plain.lastIndex = i;
      plain.test(text);
      i = plain.lastIndex;
    } else if (!backslash) {
      i = text.indexOf(quoteChar, i);
      if (i < 0) return NOT_CLOSED;
    }
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === quote) {
      if (text.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i += backslash && c === 92 ? 2 : 1;
    }
  }
  return NOT_CLOSED;
}

/** Runs of characters that neither close a quote nor escape one (backslash-escaping quotes). */
const SINGLE_QUOTED_RUN = /[^'\\]*/y;
const DOUBLE_QUOTED_RUN = /[^"\\]*/y;

/** End (exclusive) of `[identifier]` opened at `open`: SQLite has no escape for `]` inside one. */
export function skipBracket(text: string, open: number): number {
  const close = text.indexOf(']', open + 1);
  return close < 0 ? NOT_CLOSED : close + 1;
}

/** End (exclusive) of the block comment opened at `open` (the `/`), or NOT_CLOSED. */
export function skipBlockComment(text: string, open: number, nested: boolean): number {
  if (!nested) {
    const close = text.indexOf('*/', open + 2);
    return close < 0 ? NOT_CLOSED : close + 2;
  }
  // PostgreSQL counts every /* and */ inside a comment, unlike the SQL standard's flat comments.
  const n = text.length;
  let depth = 1;
  let i = open + 2;
  while (i < n) {
    const c = text.charCodeAt(i);
    const d = text.charCodeAt(i + 1);
    if (c === 42 && d === 47) {
      i += 2;
      if (--depth === 0) return i;
    } else if (c === 47 && d === 42) {
      depth++;
      i += 2;
    } else {
      i++;
    }
  }
  return NOT_CLOSED;
}

/** End (exclusive) of the line comment starting at `open`: the next `\n` stays outside it. */
export function skipLineComment(text: string, open: number): number {
  const nl = text.indexOf('\n', open);
  return nl < 0 ? text.length : nl;
}

/**
 * End (exclusive) of the opening tag of a dollar quote at `open` (`$$` or `$tag$`), or NOT_CLOSED
 * when the `$` opens none (`$1` is a parameter, `$a` is not a tag without its second `$`).
 */
export function dollarTagEnd(text: string, open: number): number {
  let i = open + 1;
  const n = text.length;
  while (i < n && isTagChar(text.charCodeAt(i), i === open + 1)) i++;
  return text.charCodeAt(i) === 36 ? i + 1 : NOT_CLOSED;
}

/** End (exclusive) of a run of word characters starting at `start`, stopping before `stop` if given. */
export function skipWord(text: string, start: number, stop: string | undefined): number {
  const n = text.length;
  let i = start + 1;
  if (stop === undefined) {
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
    return i;
  }
  // The mysql client matches its delimiter anywhere outside quotes and comments, even in `END$$`.
  const s0 = stop.charCodeAt(0);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isWordChar(c) || (c === s0 && text.startsWith(stop, i))) break;
    i++;
  }
  return i;
}

/** End (exclusive) of a whitespace run from `start`, which stops just after a line feed. */
export function skipSpace(text: string, start: number): number {
  const n = text.length;
  let i = start;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isSpace(c)) break;
    i++;
    if (c === 10) break;
  }
  return i;
}

/** Whether `text` holds `lowerWord` (ASCII letters, lower case) at `at`, in any letter case. */
export function hasWordAt(text: string, at: number, lowerWord: string): boolean {
  for (let k = 0; k < lowerWord.length; k++) {
    if ((text.charCodeAt(at + k) | 0x20) !== lowerWord.charCodeAt(k)) return false;
  }
  return true;
}
