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
  const statements = rendered.statements;
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

const TRANSACTION_CONTROL = /^(?:begin(?: (?:transaction|work|immediate|deferred|exclusive))?|start transaction\b.*|(?:commit|rollback|abort|end)(?: (?:work|transaction))?(?: and (?:no )?chain)?)$/i;

/**
 * A migration that runs in migrator's transaction must not open or end one of its own: a COMMIT
 * would commit the migration without its history row. (`ROLLBACK TO SAVEPOINT` is fine.)
 */
function transactionControl(file: string, statements: ReadonlyArray<Statement>): Problem[] {
  return statements
    .filter((s) => TRANSACTION_CONTROL.test(s.sql.replace(/\s+/g, ' ').trim()))
    .map((s) => ({
      code: 'E_MIXED_TRANSACTION' as const,
      message: `${file}:${s.line}: "${excerpt(s.sql)}" would end the transaction migrator runs this migration in, before its history row is written`,
      at: { file, line: s.line, column: s.column },
      hint: 'Remove it: each migration already commits with its history row, or not at all. To manage transactions yourself, add "-- migrate:transaction off" to the header.',
    }));
}

/** A short single-line excerpt of a statement for messages. */
export function excerpt(sql: string, max = 60): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Parses a V (or dbmate-style sectioned) file. */
export function parseMigrationFile(file: string, raw: string, syntax: SqlSyntax, placeholders?: Placeholders): ParsedFile {
  const text = normaliseText(raw);
  const split = splitSections(text, file);
  const problems: Problem[] = [...split.problems];
  const fileDirectives = emptyDirectives();
  let inherited: Pick<Directives, 'transaction' | 'timeoutMs'> = { transaction: true, timeoutMs: undefined };
  const build = (section: Section | undefined, scope: DirectiveScope): Script | undefined => {
    if (!section) return undefined;
    const result = buildScript({ file, section, syntax, placeholders, scope, fileDirectives, inherited });
    problems.push(...result.problems);
    return result.script;
  };
  const header = split.sections.find((s) => s.kind === 'header');
  if (header) {
    const headerScript = build(header, 'file');
    const stray = headerScript?.statements[0];
    if (stray) problems.push({ code: 'E_PARSE', message: `${file}:${stray.line}: statement before the first "-- migrate:" section`, at: { file, line: stray.line }, hint: 'Move it below "-- migrate:up".' });
    inherited = { transaction: fileDirectives.transaction, timeoutMs: fileDirectives.timeoutMs };
  }
  const upSection = split.sections.find((s) => s.kind === 'up');
  const up = build(upSection, 'file') ?? Object.freeze({ file, statements: [], transactional: true, timeoutMs: undefined });
  const downSection = split.sections.find((s) => s.kind === 'down');
  const down = build(downSection, 'section');
  const verify = build(split.sections.find((s) => s.kind === 'verify'), 'section');
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

/** Parses a U (undo) file: all of it is the down script. */
export function parseUndoFile(file: string, raw: string, syntax: SqlSyntax, placeholders?: Placeholders): { readonly down: Script; readonly checksum: string; readonly problems: ReadonlyArray<Problem> } {
  const text = normaliseText(raw);
  const result = buildScript({ file, section: { text, line: 1, options: '' }, syntax, placeholders, scope: 'section', fileDirectives: emptyDirectives() });
  return { down: result.script, checksum: checksumOf(text), problems: result.problems };
}
