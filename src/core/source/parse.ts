/**
 * Turns the text of one migration file into scripts (up, down, verify), directives and checksums.
 * Pure: the loader does the reading. Every problem is collected, so `validate` can list them all.
 */
import type { Problem } from '../errors.js';
import type { Directives, Script, Statement } from '../model.js';
import { checksumOf, normaliseText } from './checksum.js';
import { applyMarkerOptions, emptyDirectives, readDirectives, type DirectiveScope, type MutableDirectives } from './directives.js';
import { renderStatements, type Placeholders } from './placeholders.js';
import { isNonTransactional, scanStatements } from './scanner.js';
import { splitSections, type Section } from './sections.js';
import type { SqlSyntax } from './syntax.js';

export interface ParsedFile {
  readonly up: Script;
  readonly down: Script | undefined;
  readonly verify: Script | undefined;
  readonly directives: Directives;
  readonly checksum: string;
  readonly downChecksum: string | undefined;
  readonly problems: ReadonlyArray<Problem>;
}

/**
 * How a file's layout shapes it (docs/layouts.md). The defaults are migrator's own (flyway) rules.
 */
export interface ParseOptions {
  /**
   * `optional` (flyway): a file without `-- migrate:` markers is all up. `required` (dbmate): a file
   * must have `-- migrate:up`. `refused` (a golang-migrate `.up.sql`): markers are an error, since
   * golang-migrate would run every line of the file, down section included.
   */
  readonly sections?: 'optional' | 'required' | 'refused';
  /**
   * golang-migrate runs a file as it is, in no transaction of its own, so its files often wrap
   * themselves in `BEGIN; ... COMMIT;` (github.com/mattes/migrate/issues/274). With this set, such an
   * outer pair is dropped and the statements between run in migrator's transaction, with the history
   * row, as any other migration. Checksums stay those of the raw file.
   */
  readonly unwrapTransaction?: boolean;
}

interface ScriptInput {
  readonly file: string;
  readonly section: Pick<Section, 'text' | 'line' | 'options'>;
  readonly syntax: SqlSyntax;
  /** Configured placeholders; `undefined`: off, statements run as written. */
  readonly placeholders?: Placeholders | undefined;
  readonly scope: DirectiveScope;
  /** File-level directives collected so far (header, up): the up script reads its transaction mode from here. */
  readonly fileDirectives: MutableDirectives;
  /** What a section inherits from the file header (transaction mode, timeout). */
  readonly inherited?: Pick<Directives, 'transaction' | 'timeoutMs'>;
  readonly unwrapTransaction?: boolean | undefined;
}

/** Parses one section into a Script, reading its header directives into `input.fileDirectives` or its own. */
function buildScript(input: ScriptInput): { script: Script; problems: Problem[] } {
  const { file, section, syntax } = input;
  const scan = scanStatements(section.text, syntax, { line: section.line });
  const problems: Problem[] = [];
  if (scan.error) {
    problems.push({ code: 'E_PARSE', message: `${file}:${scan.error.line}:${scan.error.column}: ${scan.error.message}`, at: { file, line: scan.error.line, column: scan.error.column }, hint: 'Close the quote, comment or block that starts there.' });
  }
  const directives = input.scope === 'file' ? input.fileDirectives : { ...emptyDirectives(), ...input.inherited };
  applyMarkerOptions(section.options, directives);
  problems.push(...readDirectives({ text: section.text, line: section.line, firstStatementLine: scan.statements[0]?.line, file, scope: input.scope }, directives));
  // Rendered after the scan and apart from the checksum, which stays that of the raw text.
  const rendered = renderStatements(scan.statements, input.placeholders, syntax, file);
  problems.push(...rendered.problems);
  const statements = directives.transaction && input.unwrapTransaction ? unwrapTransaction(rendered.statements) : rendered.statements;
  if (directives.transaction) problems.push(...transactionControl(file, statements));
  const special = statements.filter((s) => isNonTransactional(s.sql, syntax));
  let transactional = directives.transaction;
  if (transactional && special.length > 0) {
    const first = special[0];
    if (special.length === statements.length) {
      // Like Flyway: a file made only of such statements simply runs outside a transaction.
      transactional = false;
    } else if (first) {
      problems.push({
        code: 'E_MIXED_TRANSACTION',
        message: `${file}:${first.line}: ${syntax.label} cannot run "${excerpt(first.sql)}" inside a transaction, and this file mixes it with statements that need one`,
        at: { file, line: first.line, column: first.column },
        hint: 'Move it to a migration of its own, or add "-- migrate:transaction off" to the header to run every statement of this file outside a transaction.',
      });
    }
  }
  return { script: Object.freeze({ file, statements: Object.freeze(statements), transactional, timeoutMs: directives.timeoutMs }), problems };
}

/** The first word of every statement {@link TRANSACTION_CONTROL} matches: a cheap test before flattening the SQL. */
const CONTROL_WORD = /^\s*(?:begin|start|commit|rollback|abort|end)\b/i;
const TRANSACTION_CONTROL = /^(?:begin(?: (?:transaction|work|immediate|deferred|exclusive))?|start transaction\b.*|(?:commit|rollback|abort|end)(?: (?:work|transaction))?(?: and (?:no )?chain)?)$/i;

/**
 * A migration that runs in migrator's transaction must not open or end one of its own: a COMMIT
 * would commit the migration without its history row. (`ROLLBACK TO SAVEPOINT` is fine.)
 */
function transactionControl(file: string, statements: ReadonlyArray<Statement>): Problem[] {
  return statements
    .filter((s) => CONTROL_WORD.test(s.sql) && TRANSACTION_CONTROL.test(s.sql.replace(/\s+/g, ' ').trim()))
    .map((s) => ({
      code: 'E_MIXED_TRANSACTION' as const,
      message: `${file}:${s.line}: "${excerpt(s.sql)}" would end the transaction migrator runs this migration in, before its history row is written`,
      at: { file, line: s.line, column: s.column },
      hint: 'Remove it: each migration already commits with its history row, or not at all. To manage transactions yourself, add "-- migrate:transaction off" to the header.',
    }));
}

/** Whether `sql` (one statement) opens or ends a transaction: BEGIN, COMMIT, ROLLBACK, ... */
export function controlsTransaction(sql: string): boolean {
  return CONTROL_WORD.test(sql) && TRANSACTION_CONTROL.test(sql.replace(/\s+/g, ' ').trim());
}

const OPENS_TRANSACTION = /^(?:begin(?: (?:transaction|work|immediate|deferred|exclusive))?|start transaction)$/i;
const ENDS_TRANSACTION = /^(?:commit|end)(?: (?:work|transaction))?$/i;

/**
 * The statements without an outer `BEGIN; ... COMMIT;` pair, when the file is exactly wrapped in
 * one (first and last statement, nothing else controlling the transaction); otherwise unchanged,
 * so that anything else is still refused by {@link transactionControl}.
 */
export function unwrapTransaction(statements: ReadonlyArray<Statement>): ReadonlyArray<Statement> {
  const flat = (s: Statement | undefined): string => (s?.sql ?? '').replace(/\s+/g, ' ').trim();
  if (statements.length < 2 || !OPENS_TRANSACTION.test(flat(statements[0])) || !ENDS_TRANSACTION.test(flat(statements.at(-1)))) return statements;
  const inner = statements.slice(1, -1);
  return inner.some((s) => TRANSACTION_CONTROL.test(flat(s))) ? statements : inner;
}

/** A short single-line excerpt of a statement for messages. */
export function excerpt(sql: string, max = 60): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Parses a V (or dbmate-style sectioned) file, or a golang-migrate `.up.sql` file (see {@link ParseOptions}). */
export function parseMigrationFile(file: string, raw: string, syntax: SqlSyntax, placeholders?: Placeholders, options: ParseOptions = {}): ParsedFile {
  const text = normaliseText(raw);
  const split = splitSections(text, file);
  const layout = layoutProblems(file, split, options);
  // Sections where the layout refuses them: that one error says it all; what the sections
  // themselves get wrong (no up, a repeated marker, a statement above the first) would only
  // contradict it, since the fix is to remove every "-- migrate:" section line.
  const sectionsRefused = options.sections === 'refused' && layout.length > 0;
  const problems: Problem[] = sectionsRefused ? layout : [...split.problems, ...layout];
  const fileDirectives = emptyDirectives();
  let inherited: Pick<Directives, 'transaction' | 'timeoutMs'> = { transaction: true, timeoutMs: undefined };
  const build = (section: Section | undefined, scope: DirectiveScope): Script | undefined => {
    if (!section) return undefined;
    const result = buildScript({ file, section, syntax, placeholders, scope, fileDirectives, inherited, unwrapTransaction: options.unwrapTransaction });
    problems.push(...result.problems);
    return result.script;
  };
  const header = split.sections.find((s) => s.kind === 'header');
  if (header) {
    const headerScript = build(header, 'file');
    const stray = headerScript?.statements[0];
    if (stray && !sectionsRefused) problems.push({ code: 'E_PARSE', message: `${file}:${stray.line}: statement before the first "-- migrate:" section`, at: { file, line: stray.line }, hint: 'Move it below "-- migrate:up".' });
    inherited = { transaction: fileDirectives.transaction, timeoutMs: fileDirectives.timeoutMs };
  }
  const upSection = split.sections.find((s) => s.kind === 'up');
  const up = build(upSection, 'file') ?? Object.freeze({ file, statements: [], transactional: true, timeoutMs: undefined });
  // Where sections are refused (reported above), none is read as a down or verify: one error, not three.
  const sectioned = options.sections !== 'refused';
  const downSection = sectioned ? split.sections.find((s) => s.kind === 'down') : undefined;
  const down = build(downSection, 'section');
  const verify = build(sectioned ? split.sections.find((s) => s.kind === 'verify') : undefined, 'section');
  // The down section is checksummed apart: fixing a broken rollback is not drift of what was applied.
  const upText = downSection ? split.sections.filter((s) => s !== downSection).map((s) => s.text).join('\n') : text;
  return {
    up,
    down,
    verify,
    directives: Object.freeze({ ...fileDirectives, depends: Object.freeze([...new Set(fileDirectives.depends)]), allow: Object.freeze(fileDirectives.allow) }),
    checksum: checksumOf(upText),
    downChecksum: downSection ? checksumOf(downSection.text) : undefined,
    problems,
  };
}

/** The problems of a file's sections under its layout's rule ({@link ParseOptions.sections}). */
function layoutProblems(file: string, split: ReturnType<typeof splitSections>, options: ParseOptions): Problem[] {
  if (options.sections === 'required' && !split.marked) {
    return [{ code: 'E_PARSE', message: `${file} has no "-- migrate:up" line: a dbmate migration holds its statements in "-- migrate:up" and "-- migrate:down" sections`, at: { file, line: 1 }, hint: 'Add a "-- migrate:up" line before the forward statements (and "-- migrate:down" before the revert), as "dbmate new" writes them.' }];
  }
  const marker = options.sections === 'refused' ? split.sections.find((s) => s.kind !== 'header') : undefined;
  if (marker && split.marked) {
    const line = marker.line - 1;
    return [{ code: 'E_PARSE', message: `${file}:${line}: "-- migrate:${marker.kind}" sections are not part of the golang-migrate layout: golang-migrate would run every line of this file`, at: { file, line }, hint: 'Put the revert in the matching <version>_<title>.down.sql file and remove the "-- migrate:" section lines.' }];
  }
  return [];
}

/** Parses a U (undo) file, or a golang-migrate `.down.sql` file: all of it is the down script. */
export function parseUndoFile(file: string, raw: string, syntax: SqlSyntax, placeholders?: Placeholders, options: Pick<ParseOptions, 'unwrapTransaction'> = {}): { readonly down: Script; readonly checksum: string; readonly problems: ReadonlyArray<Problem> } {
  const text = normaliseText(raw);
  const result = buildScript({ file, section: { text, line: 1, options: '' }, syntax, placeholders, scope: 'section', fileDirectives: emptyDirectives(), unwrapTransaction: options.unwrapTransaction });
  return { down: result.script, checksum: checksumOf(text), problems: result.problems };
}
