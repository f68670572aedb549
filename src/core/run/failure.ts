/**
 * The errors a failing migration produces: what failed (version, statement n of m, excerpt), where
 * (file:line:column) and what to do next, which depends on whether the engine rolled it back.
 */
import { MigratorError } from '../errors.js';
import type { Migration, Script, Statement } from '../model.js';
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
}

function engineMessage(error: unknown): { message: string; code: string | undefined } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, code: typeof code === 'string' ? code : undefined };
  }
  return { message: String(error), code: undefined };
}

function label(migration: Migration): string {
  return migration.version ? `version ${migration.id} (${migration.description})` : migration.id;
}

/** Wraps an engine error raised by a statement. MigratorErrors (lost lock, interrupt) pass through. */
export function statementFailure(input: StatementFailureInput): MigratorError {
  if (input.error instanceof MigratorError) return input.error;
  const { migration, script, statement, index } = input;
  const engine = engineMessage(input.error);
  const total = script.statements.length;
  const applied = input.progress?.applied ?? 0;
  const hint = input.transactional
    ? `Nothing of this migration was applied: its transaction was rolled back (migrations before it in this run stay applied). Fix the statement and run "migrate up" again.`
    : `This migration ran outside a transaction: ${applied} of ${total} statements were applied and recorded, and it is marked failed. Fix the cause, then either undo those statements by hand and mark it resolved with "migrate repair", or complete it with "migrate up --resume".`;
  return new MigratorError('E_MIGRATION_FAILED', `${label(migration)} failed at statement ${index + 1} of ${total} (${script.file}:${statement.line}:${statement.column}): ${engine.message}`, {
    at: { file: script.file, line: statement.line, column: statement.column },
    hint,
    cause: input.error,
    details: {
      version: migration.id,
      file: script.file,
      statementIndex: index + 1,
      statementsTotal: total,
      statementsApplied: applied,
      line: statement.line,
      column: statement.column,
      excerpt: excerpt(statement.sql, 200),
      engineCode: engine.code ?? null,
      engineMessage: engine.message,
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
