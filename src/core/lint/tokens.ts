/**
 * The linter's view of one statement: its significant tokens (words, quoted runs, punctuation)
 * with their parenthesis depth. Comments and whitespace are gone and quoted text is one opaque
 * token, so a rule matching keyword sequences never fires on `'DROP TABLE'` inside a string.
 */
import { Lexer } from '../source/scanner-lexer.js';
import type { SqlSyntax } from '../source/syntax.js';

/** One significant token of a statement. */
export interface SqlToken {
  /** `quoted`: a string, quoted identifier or dollar-quoted body, quotes included. */
  readonly kind: 'word' | 'quoted' | 'punct';
  /** The text as written. */
  readonly text: string;
  /** Words upper-cased, for keyword matching; other tokens as written. */
  readonly upper: string;
  /** Parenthesis depth, 0 at the statement's top level; a parenthesis has the depth outside it. */
  readonly depth: number;
}

/**
 * Cuts `sql` (one statement from the scanner) into tokens with the engine's quoting and comment
 * rules. Never throws: text after an unterminated quote or comment is dropped, and MySQL's
 * executable comments (`/*! ... *\/`) are skipped like ordinary ones.
 */
export function tokenize(sql: string, syntax: SqlSyntax): SqlToken[] {
  const lexer = new Lexer(sql, syntax);
  const tokens: SqlToken[] = [];
  let depth = 0;
  let pos = 0;
  while (pos < sql.length) {
    const tok = lexer.next(pos);
    pos = tok.end;
    const text = sql.slice(tok.start, tok.end);
    switch (tok.kind) {
      case 'unterminated':
        return tokens;
      case 'word':
        tokens.push({ kind: 'word', text, upper: text.toUpperCase(), depth });
        break;
      case 'quoted':
        tokens.push({ kind: 'quoted', text, upper: text, depth });
        break;
      case 'other':
      case 'delimiter':
        // A delimiter inside one statement separates the statements of a BEGIN ... END body.
        if (text === ')') depth = Math.max(0, depth - 1);
        tokens.push({ kind: 'punct', text, upper: text, depth });
        if (text === '(') depth++;
        break;
      default:
        // space, comment, hint (executable comment), directive: not part of what the rules read.
        break;
    }
  }
  return tokens;
}

/** True when `token` is one of the (upper-case) `words`. */
export function isWord(token: SqlToken | undefined, ...words: ReadonlyArray<string>): boolean {
  return token?.kind === 'word' && words.includes(token.upper);
}

/** True when the tokens from `index` on are exactly the words `words`. */
export function wordsAt(tokens: ReadonlyArray<SqlToken>, index: number, ...words: string[]): boolean {
  return words.every((word, offset) => isWord(tokens[index + offset], word));
}

/** Index of the first top-level (depth 0) occurrence of the word sequence from `from` on, or -1. */
export function findWords(tokens: ReadonlyArray<SqlToken>, from: number, ...words: string[]): number {
  for (let i = from; i < tokens.length; i++) {
    if (tokens[i]?.depth === 0 && wordsAt(tokens, i, ...words)) return i;
  }
  return -1;
}

/** Index after the optional words, in order, that are present at `index`. */
export function skipWords(tokens: ReadonlyArray<SqlToken>, index: number, ...optional: string[][]): number {
  let i = index;
  for (const words of optional) {
    if (wordsAt(tokens, i, ...words)) i += words.length;
  }
  return i;
}

/** A possibly qualified name (`app.users`, `"Users"`, `` `db`.`t` ``) read from the tokens. */
export interface NameRef {
  /** As written: `public.users`. */
  readonly display: string;
  /** The last part, unquoted and lower-cased: what identifies a table across statements. */
  readonly key: string;
  /** Index of the first token after the name. */
  readonly next: number;
}

function isNamePart(token: SqlToken | undefined): token is SqlToken {
  return token !== undefined && (token.kind === 'word' || (token.kind === 'quoted' && !token.text.startsWith("'")));
}

/** Unquotes `"a""b"`, `` `a` `` or `[a]` to its identifier. */
function unquote(token: SqlToken): string {
  if (token.kind !== 'quoted') return token.text;
  const open = token.text[0] ?? '';
  const close = open === '[' ? ']' : open;
  return token.text.slice(1, -1).split(close + close).join(close);
}

/** Reads the name at `index`, or `undefined` when there is none. */
export function nameAt(tokens: ReadonlyArray<SqlToken>, index: number): NameRef | undefined {
  const first = tokens[index];
  if (!isNamePart(first)) return undefined;
  const parts = [first];
  let i = index + 1;
  while (tokens[i]?.text === '.' && isNamePart(tokens[i + 1])) {
    parts.push(tokens[i + 1] as SqlToken);
    i += 2;
  }
  const last = parts[parts.length - 1] ?? first;
  return { display: parts.map((p) => p.text).join('.'), key: unquote(last).toLowerCase(), next: i };
}

/** Splits top-level tokens at top-level commas (the actions of an ALTER TABLE). */
export function splitTopLevel(tokens: ReadonlyArray<SqlToken>): SqlToken[][] {
  const parts: SqlToken[][] = [[]];
  for (const token of tokens) {
    if (token.depth === 0 && token.text === ',') parts.push([]);
    else parts[parts.length - 1]?.push(token);
  }
  return parts.filter((part) => part.length > 0);
}
