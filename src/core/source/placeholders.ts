/**
 * Placeholders: `${name}` in migration SQL replaced by a configured value, off unless configured.
 *
 * Substitution happens per statement, after the file has been split and checksummed (so checksums
 * stay those of the raw file), and only in code: `${...}` inside strings, quoted identifiers,
 * dollar-quoted bodies and comments is text and stays as written. Each value is rendered by its
 * kind (a quoted identifier, a quoted string literal, or raw text by explicit opt-in), then the
 * rendered statement is lexed again and must keep the template's structure: still one statement,
 * no error, and each value confined to the tokens its kind allows. Anything else is rejected.
 */
import type { Problem } from '../errors.js';
import type { Statement } from '../model.js';
import { scanStatements } from './scanner.js';
import { Lexer, type Token } from './scanner-lexer.js';
import type { SqlSyntax } from './syntax.js';

/** How a value is written into SQL. */
export type PlaceholderKind = 'identifier' | 'literal' | 'raw';

/** One declared placeholder with its value. */
export interface Placeholder {
  readonly kind: PlaceholderKind;
  readonly value: string;
}

/** Declared placeholders by name; `undefined` (not an empty map) means placeholders are off. */
export type Placeholders = Readonly<Record<string, Placeholder>>;

/** Placeholder names, as written between `${` and `}`. */
export const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDENTIFIER_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_IDENTIFIER_PART = 63;

/**
 * Why `value` cannot be used as a placeholder of `kind`, or `undefined` when it can. Called by the
 * configuration (to fail early, E_CONFIG) and by `renderStatement` (so core never trusts its input).
 */
export function placeholderValueProblem(kind: PlaceholderKind, value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character';
  if (kind === 'identifier') {
    const parts = value.split('.');
    if (parts.length > 2 || parts.some((part) => !IDENTIFIER_PART.test(part) || part.length > MAX_IDENTIFIER_PART)) {
      return `"${value}" is not an identifier: use letters, digits and _ (not first a digit, at most ${MAX_IDENTIFIER_PART} each), optionally qualified as schema.name`;
    }
  }
  if (kind === 'raw' && value.trim() === '') return 'is empty';
  return undefined;
}

/** `value` (already valid) written as the engine's quoted identifier: `"app"`, `` `app` ``, `"app"."t"`. */
export function quoteIdentifier(value: string, syntax: SqlSyntax): string {
  const q = syntax.identifierQuote ?? '"';
  return value.split('.').map((part) => `${q}${part}${q}`).join('.');
}

/**
 * `value` written as a string literal the engine reads back unchanged: quotes doubled; where a
 * backslash escapes inside '...' (MySQL's default sql_mode) backslashes doubled too; where it does
 * not but `E'...'` strings exist (PostgreSQL), a value holding a backslash is written as an
 * `E'...'` string with backslashes doubled, which reads the same whatever standard_conforming_strings is.
 */
export function quoteLiteral(value: string, syntax: SqlSyntax): string {
  const quoted = value.replace(/'/g, "''");
  if (!value.includes('\\')) return `'${quoted}'`;
  if (syntax.backslashEscapes) return `'${quoted.replace(/\\/g, '\\\\')}'`;
  if (syntax.escapeStrings) return `E'${quoted.replace(/\\/g, '\\\\')}'`;
  return `'${quoted}'`;
}

function renderValue(placeholder: Placeholder, syntax: SqlSyntax): string {
  if (placeholder.kind === 'identifier') return quoteIdentifier(placeholder.value, syntax);
  if (placeholder.kind === 'literal') return quoteLiteral(placeholder.value, syntax);
  return placeholder.value;
}

function lex(text: string, syntax: SqlSyntax): Token[] {
  const lexer = new Lexer(text, syntax);
  const tokens: Token[] = [];
  for (let pos = 0; pos < text.length;) {
    const tok = lexer.next(pos);
    tokens.push(tok);
    if (tok.kind === 'unterminated') break;
    if (tok.kind === 'directive') lexer.delimiter = tok.detail;
    pos = tok.end > pos ? tok.end : pos + 1;
  }
  return tokens;
}

/** A `${...}` found in code: its offsets in the statement and the name written. */
interface Use {
  readonly start: number;
  readonly end: number;
  readonly name: string | undefined;
}

const OPAQUE = new Set(['quoted', 'comment', 'hint', 'unterminated']);

/** Every `${` in code (outside quotes and comments) of `sql`, with the name when well formed. */
function findUses(sql: string, syntax: SqlSyntax): Use[] {
  const uses: Use[] = [];
  const tokens = lex(sql, syntax);
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i];
    if (!first || OPAQUE.has(first.kind)) {
      i++;
      continue;
    }
    let j = i;
    while (j < tokens.length && !OPAQUE.has(tokens[j]?.kind ?? 'quoted')) j++;
    const from = first.start;
    const code = sql.slice(from, tokens[j - 1]?.end ?? from);
    for (const match of code.matchAll(/\$\{([^}\n]*)(\}?)/g)) {
      const name = match[2] === '}' && PLACEHOLDER_NAME.test(match[1] ?? '') ? match[1] : undefined;
      uses.push({ start: from + match.index, end: from + match.index + match[0].length, name });
    }
    i = j;
  }
  return uses;
}

/** Where a rendered value sits in the rendered statement. */
interface Span {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly kind: PlaceholderKind;
}

/** Why the rendered statement does not keep the structure of its template, or `undefined`. */
function structureProblem(template: string, rendered: string, spans: ReadonlyArray<Span>, syntax: SqlSyntax): { name: string; reason: string } | undefined {
  const before = scanStatements(template, syntax);
  const after = scanStatements(rendered, syntax);
  const whole = spans[0];
  if (after.error || after.statements.length !== before.statements.length) {
    return { name: whole?.name ?? '?', reason: after.error ? `leaves ${after.error.message}` : `turns one statement into ${after.statements.length}` };
  }
  const tokens = lex(rendered, syntax);
  for (const span of spans) {
    const inside = tokens.filter((t) => t.end > span.start && t.start < span.end);
    const crossing = inside.find((t) => (t.start < span.start || t.end > span.end) && t.kind !== 'word' && t.kind !== 'space');
    if (crossing) return { name: span.name, reason: `joins the SQL around it into one ${crossing.kind} token` };
    const bad = inside.find((t) => !['word', 'other', 'space', 'quoted'].includes(t.kind));
    if (bad) return { name: span.name, reason: `contains a ${bad.kind}` };
    if (span.kind === 'raw') continue;
    // A literal is one quoted token; an identifier quoted tokens joined by dots, nothing else.
    const exact = inside[0]?.start === span.start && inside.at(-1)?.end === span.end;
    const shape = inside.every((t, n) => (n % 2 === 0 ? t.kind === 'quoted' : t.kind === 'other' && rendered[t.start] === '.'));
    if (!exact || !shape || (span.kind === 'literal' && inside.length !== 1)) return { name: span.name, reason: 'is not read back as one quoted token' };
  }
  return undefined;
}

/** The result of `renderStatement`: the statement to send, or why it cannot be rendered. */
export type RenderResult =
  | { readonly ok: true; readonly statement: Statement }
  | { readonly ok: false; readonly problem: Problem };

/**
 * Substitutes the placeholders used in `statement` (a statement from `scanStatements` of `file`).
 * Called by the parser for every statement when placeholders are configured; never throws. An
 * undeclared or malformed `${...}` in code, an invalid value, or a rendering that changes the
 * statement's structure is an E_PARSE problem at the statement's line naming the placeholder.
 */
export function renderStatement(statement: Statement, placeholders: Placeholders, syntax: SqlSyntax, file: string): RenderResult {
  const uses = findUses(statement.sql, syntax);
  if (uses.length === 0) return { ok: true, statement };
  const declared = Object.keys(placeholders).sort();
  const fail = (offset: number, message: string, hint: string): RenderResult => {
    const lineOffset = statement.sql.slice(0, offset).split('\n').length - 1;
    const line = statement.line + lineOffset;
    return { ok: false, problem: { code: 'E_PARSE', message: `${file}:${line}: ${message}`, at: { file, line }, hint } };
  };
  let rendered = '';
  let last = 0;
  const spans: Span[] = [];
  for (const use of uses) {
    const written = statement.sql.slice(use.start, use.end);
    if (use.name === undefined) {
      return fail(use.start, `"${written}" is not a placeholder: write \${name} with letters, digits and _`, 'Outside strings and comments "${" starts a placeholder; inside quotes it is text.');
    }
    const placeholder = Object.hasOwn(placeholders, use.name) ? placeholders[use.name] : undefined;
    if (!placeholder) {
      return fail(use.start, `placeholder \${${use.name}} is not declared (declared: ${declared.length > 0 ? declared.join(', ') : 'none'})`, `Declare it under placeholders: in the config file (placeholders.${use.name}: { value: ..., as: identifier | literal | raw }), or fix the name.`);
    }
    const invalid = placeholderValueProblem(placeholder.kind, placeholder.value);
    if (invalid) return fail(use.start, `placeholder \${${use.name}} (${placeholder.kind}) ${invalid}`, 'Fix its value in the configuration.');
    rendered += statement.sql.slice(last, use.start);
    const value = renderValue(placeholder, syntax);
    spans.push({ start: rendered.length, end: rendered.length + value.length, name: use.name, kind: placeholder.kind });
    rendered += value;
    last = use.end;
  }
  rendered += statement.sql.slice(last);
  const broken = structureProblem(statement.sql, rendered, spans, syntax);
  if (broken) {
    const use = uses[spans.findIndex((s) => s.name === broken.name)] ?? uses[0];
    return fail(use?.start ?? 0, `placeholder \${${broken.name}} ${broken.reason}: the rendered statement would not keep the structure of the file`, 'Use as: identifier or as: literal for this value, or change the raw value so it stays inside the statement.');
  }
  return { ok: true, statement: Object.freeze({ ...statement, sql: rendered }) };
}

/**
 * Renders every statement; `placeholders` `undefined` (placeholders off) returns them untouched,
 * so `${...}` in a file runs verbatim. Problems are collected, one per failing statement.
 */
export function renderStatements(statements: ReadonlyArray<Statement>, placeholders: Placeholders | undefined, syntax: SqlSyntax, file: string): { statements: ReadonlyArray<Statement>; problems: Problem[] } {
  if (placeholders === undefined) return { statements, problems: [] };
  const problems: Problem[] = [];
  const out: Statement[] = [];
  for (const statement of statements) {
    const result = renderStatement(statement, placeholders, syntax, file);
    if (result.ok) out.push(result.statement);
    else problems.push(result.problem);
  }
  return { statements: problems.length > 0 ? statements : out, problems };
}
