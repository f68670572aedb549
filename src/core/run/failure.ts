/**
 * The errors a failing migration produces: what failed (version, statement n of m, excerpt), where
 * (file:line:column) and what to do next, which depends on whether the engine rolled it back.
 */
import { MigratorError } from '../errors.js';
import { statementCount, type Migration, type Script, type Statement } from '../model.js';
import type { EngineErrorInfo } from '../ports.js';
import { excerpt } from '../source/parse.js';

export interface StatementFailureInput {
  readonly migration: Migration;
  readonly script: Script;
  readonly statement: Statement;
  /** 0-based index of the failed statement in its script. */
  readonly index: number;
  readonly error: unknown;
  /** Statements applied before the failure when journaled; `undefined` when rolled back as a whole. */
  readonly progress: { readonly applied: number } | undefined;
  readonly transactional: boolean;
  /** The driver's translation of `error`. */
  readonly engine: EngineErrorInfo;
}

/**
 * File line and column of the 1-based character `position` inside `statement`. Characters are code
 * points, as PostgreSQL counts them (an emoji is one), so slicing goes by code points, not UTF-16 units.
 */
export function locate(statement: Statement, position: number | undefined): { line: number; column: number } {
  if (position === undefined || !Number.isFinite(position) || position < 1) return { line: statement.line, column: statement.column };
  const before = Array.from(statement.sql).slice(0, position - 1).join('');
  const newlines = before.split('\n').length - 1;
  if (newlines === 0) return { line: statement.line, column: statement.column + before.length };
  return { line: statement.line + newlines, column: before.length - before.lastIndexOf('\n') };
}

function label(migration: Migration): string {
  return migration.version ? `version ${migration.id} (${migration.description})` : migration.id;
}

/** Wraps an engine error raised by a statement. MigratorErrors (lost lock, interrupt) pass through. */
export function statementFailure(input: StatementFailureInput): MigratorError {
  // A driver's own errors (lost lock, interrupt) pass through; a dead connection still gets the
  // journal-aware "connection lost" treatment whichever way the driver raised it.
  if (input.error instanceof MigratorError && input.engine.kind !== 'connection_lost') return input.error;
  const { migration, script, statement, index, engine } = input;
  const total = statementCount(script);
  const applied = input.progress?.applied ?? 0;
  const where = locate(statement, engine.position);
  const lost = engine.kind === 'connection_lost';
  const again = script === migration.down ? '"migrate down"' : '"migrate up"';
  const hint = lost
    ? input.transactional
      ? `The connection was lost mid-migration; the server rolled its transaction back with the session. Check the server, run "migrate status", then ${again} again.`
      : `The connection was lost while statement ${index + 1} ran outside a transaction; the migration stays in_progress with ${applied} statements recorded. Once the server is reachable, run "migrate up --resume": it checks whether statement ${index + 1} took effect and continues from there (it stops and says so if the statement left something half-built, such as an INVALID index).`
    : input.transactional
      ? `Nothing of this migration was applied: its transaction was rolled back (migrations before it in this run stay as they are). Fix the statement and run ${again} again.`
      : script === migration.down
        ? `This revert ran outside a transaction: ${applied} of ${total} statements of the down script were applied and recorded, and the migration is marked failed. Finish or undo the revert by hand, then record what the database holds with "migrate repair --version ${migration.id} --as rolled-back" (or "--as applied").`
        : `This migration ran outside a transaction: ${applied} of ${total} statements were applied and recorded, and it is marked failed. Fix the cause, then either complete it with "migrate up --resume" (runs statement ${index + 1} onwards), or repair the database by hand and record it with "migrate repair".`;
  const message = lost ? `the connection was lost during ${label(migration)}, statement ${index + 1} of ${total}: ${engine.message}` : `${label(migration)} failed at statement ${index + 1} of ${total} (${script.file}:${where.line}:${where.column}): ${engine.message}`;
  return new MigratorError('E_MIGRATION_FAILED', message, {
    at: { file: script.file, line: where.line, column: where.column },
    hint,
    cause: input.error,
    details: {
      version: migration.id,
      file: script.file,
      statementIndex: index + 1,
      statementsTotal: total,
      statementsApplied: applied,
      line: where.line,
      column: where.column,
      excerpt: excerpt(statement.sql, 200),
      engineCode: engine.code ?? null,
      engineMessage: engine.message,
      engineKind: engine.kind,
      ...(engine.detail ? { engineDetail: engine.detail } : {}),
      rolledBack: input.transactional,
    },
  });
}

/** A `-- migrate:verify` query that returned a false value. */
export function verifyFailure(migration: Migration, script: Script, statement: Statement, value: unknown): MigratorError {
  const shown = value === undefined ? 'no row' : JSON.stringify(typeof value === 'bigint' ? value.toString() : value);
  return new MigratorError('E_MIGRATION_FAILED', `${label(migration)}: verify check at ${script.file}:${statement.line} returned ${shown}, not a true value: ${excerpt(statement.sql, 120)}`, {
    at: { file: script.file, line: statement.line, column: statement.column },
    hint: 'The migration was rolled back where the engine allows it. Fix the data or the migration, then run "migrate up" again.',
    details: { version: migration.id, verify: excerpt(statement.sql, 200), returned: shown },
  });
}
