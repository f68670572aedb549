/**
 * Runs one function of a scripted migration (`up`, `down`, `verify`) with its `ctx`. Every ctx
 * call is a statement boundary: it refuses to start once the run is interrupted or the lock is
 * lost, and it is reported as `statement.executed`. Whether the calls share a transaction is the
 * step's decision (step.ts), exactly as for SQL migrations.
 */
import { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { Migration, Script } from '../model.js';
import type { Driver, EngineErrorInfo } from '../ports.js';
import { compileTemplate, type BatchOptions, type MigrationContext, type MigrationLog, type QueryResult, type ScriptLogLevel, type ScriptProgram } from '../scripted.js';
import { scanStatements } from '../source/scanner.js';
import { excerpt } from '../source/parse.js';
import { interrupted, lockLostError, type Progress } from './statements.js';
import { foreignCall, runBatchJob, settleJobs, type BatchState } from './batch.js';

export interface ProgramRun {
  readonly migration: Migration;
  readonly script: Script;
  readonly program: ScriptProgram;
  readonly driver: Driver;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly environment: string;
  readonly transactional: boolean;
  readonly runId: string;
  readonly now: () => Date;
  /** The `ctx.batch` jobs of this call: checkpoints to resume from, and what finished. */
  readonly batches: BatchState;
}

/** Batch state for a function that resumes from nothing. */
export function freshBatches(checkpoints: BatchState['checkpoints'] = new Map()): BatchState {
  return { checkpoints, finished: [], names: new Set(), current: undefined, running: undefined, pending: new Set(), closed: false };
}

/** Line (and column) of the innermost stack frame in the migration's own file, if any. */
export function lineIn(stack: string | undefined, location: string): { line: number; column: number } | undefined {
  for (const frame of (stack ?? '').split('\n')) {
    // Frames name ES modules by URL, whose path is percent-encoded.
    if (!frame.includes(location) && !frame.includes(encodeURI(location))) continue;
    const match = /:(\d+):(\d+)\)?\s*$/.exec(frame);
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

/** The last ctx call that reached the database, kept to explain a failure. */
interface LastCall {
  index: number;
  sql: string;
  error: unknown;
  engine: EngineErrorInfo | undefined;
}

function createContext(run: ProgramRun, progress: Progress, last: LastCall): MigrationContext {
  const { driver, migration, program } = run;
  const call = async <T>(sql: string, work: () => Promise<T>, rowsOf: (result: T) => number | undefined): Promise<T> => {
    // Lets a signal handler run first: a synchronous client (better-sqlite3) never yields by itself.
    await new Promise((resolve) => setImmediate(resolve));
    if (run.signal.aborted) throw interrupted();
    if (driver.lockLost()) throw lockLostError();
    const foreign = foreignCall(run.batches);
    if (foreign !== undefined) throw new Error(foreign);
    const index = progress.applied;
    const started = performance.now();
    Object.assign(last, { index, sql, error: undefined, engine: undefined });
    let result: T;
    try {
      result = await work();
    } catch (error) {
      Object.assign(last, { error, engine: driver.describeError(error) });
      throw error;
    }
    progress.applied = index + 1;
    const line = lineIn(new Error().stack, program.location)?.line ?? 0;
    run.emit({ type: 'statement.executed', id: migration.id, index, line, durationMs: performance.now() - started, rows: rowsOf(result) });
    return result;
  };
  const query = (text: string, params: ReadonlyArray<unknown> = []): Promise<QueryResult> => call(text, () => driver.query(text, params), (r) => r.rowCount);
  const log = (level: ScriptLogLevel) => (message: string, data?: Readonly<Record<string, unknown>>): void =>
    run.emit({ type: 'script.logged', id: migration.id, level, message: String(message), ...(data === undefined ? {} : { data }) });
  const logger: MigrationLog = Object.freeze({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') });
  const context: MigrationContext = Object.freeze({
    sql: (strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>) => {
      const { text, params } = compileTemplate(strings, values, driver.parameterStyle);
      return query(text, params);
    },
    query,
    async exec(text: string) {
      // Split like a .sql migration, so a multi-statement string behaves the same on every engine.
      const scan = scanStatements(text, driver.syntax);
      if (scan.error) throw new SyntaxError(`ctx.exec: ${scan.error.message} at line ${scan.error.line} of the SQL text`);
      let rowCount: number | undefined = 0;
      for (const statement of scan.statements) {
        const { rows } = await call(statement.sql, () => driver.execute(statement), (r) => r.rows);
        rowCount = rows === undefined || rowCount === undefined ? undefined : rowCount + rows;
      }
      return { rowCount };
    },
    log: logger,
    env: Object.freeze({ name: run.environment }),
    dialect: driver.dialect,
    signal: run.signal,
    migration: Object.freeze({ id: migration.id, file: run.script.file, direction: program.entry }),
    batch: (options: BatchOptions) => runBatchJob(options, {
      driver, emit: run.emit, signal: run.signal, migrationId: migration.id, file: run.script.file, runId: run.runId, now: run.now,
      transactional: run.transactional, state: run.batches, query,
    }),
  });
  return context;
}

function label(migration: Migration): string {
  return `version ${migration.id} (${migration.description})`;
}

/** Wraps whatever a scripted function threw; a MigratorError (interrupt, lost lock) passes through. */
function programFailure(run: ProgramRun, error: unknown, last: LastCall, progress: Progress): MigratorError {
  if (error instanceof MigratorError && (error.code === 'E_INTERRUPTED' || error.code === 'E_LOCK_LOST')) return error;
  const { migration, script, program } = run;
  const fromDatabase = last.error === error && last.engine !== undefined;
  const engine = fromDatabase ? last.engine : undefined;
  const message = engine?.message ?? (error instanceof Error ? error.message : String(error));
  const where = lineIn(error instanceof Error ? error.stack : undefined, program.location) ?? lineIn(new Error().stack, program.location);
  const at = `${script.file}${where ? `:${where.line}` : ''}`;
  const batch = run.batches.current;
  const inBatch = batch === undefined ? '' : ` in ctx.batch "${batch.name}", batch ${batch.range.number} (keys ${String(batch.range.first)} to ${String(batch.range.last)}, rolled back with its checkpoint)`;
  const again = program.entry === 'down' ? '"migrate down"' : '"migrate up"';
  const hint = run.transactional
    ? `Nothing of this migration was applied: its transaction was rolled back. Fix the script and run ${again} again.`
    : (run.batches.names.size > 0 || run.batches.checkpoints.size > 0) && program.entry === 'up'
      ? `Its ctx.batch checkpoints keep the batches that committed. Fix the cause, then run "migrate up --resume": up(ctx) runs again and each batch job continues after its last committed batch (ctx calls outside ctx.batch run again, so they must be safe to repeat).`
      : `This migration ran outside a transaction (\`export const transaction = false\`, or an engine whose DDL is not transactional): what its ${program.entry}(ctx) did before the error stays, and it is marked failed. A scripted migration cannot be resumed: undo or finish its work by hand, then record the outcome with "migrate repair --version ${migration.id} --as rolled-back" (to run it again) or "--as applied".`;
  return new MigratorError('E_MIGRATION_FAILED', `${label(migration)} failed in ${program.entry}(ctx) of ${at}${inBatch}: ${message}`, {
    at: { file: script.file, ...(where ? { line: where.line, column: where.column } : {}) },
    hint,
    cause: error,
    details: {
      version: migration.id,
      file: script.file,
      function: program.entry,
      statementIndex: fromDatabase ? last.index + 1 : progress.applied,
      statementsApplied: progress.applied,
      ...(where ? { line: where.line } : {}),
      ...(fromDatabase ? { excerpt: excerpt(last.sql, 200), engineCode: engine?.code ?? null, engineMessage: message, engineKind: engine?.kind ?? 'other' } : { engineKind: 'other' }),
      rolledBack: run.transactional,
      ...(batch === undefined ? {} : { batch: { name: batch.name, number: batch.range.number, first: String(batch.range.first), last: String(batch.range.last) } }),
    },
  });
}

/**
 * Calls the program with a fresh ctx and returns what it returned (verify's answer). Counts the
 * ctx calls that completed in `progress.applied`. Throws MigratorError: E_MIGRATION_FAILED with
 * the file:line of the failing call, or E_INTERRUPTED / E_LOCK_LOST from a ctx call.
 */
export async function runProgram(run: ProgramRun, progress: Progress): Promise<unknown> {
  const last: LastCall = { index: 0, sql: '', error: undefined, engine: undefined };
  let result: unknown;
  let failure: { readonly error: unknown } | undefined;
  try {
    result = await run.program.run(createContext(run, progress, last));
  } catch (error) {
    failure = { error };
  }
  // A job the function did not await must end before the step writes anything more.
  const straggler = await settleJobs(run.batches, run.program.entry);
  if (failure === undefined && straggler !== undefined) failure = { error: straggler };
  if (failure !== undefined) throw programFailure(run, failure.error, last, progress);
  return result;
}

/** A `verify(ctx)` that returned a false value. */
export function programVerifyFailure(migration: Migration, script: Script, value: unknown): MigratorError {
  const shown = value === undefined ? 'undefined' : JSON.stringify(typeof value === 'bigint' ? value.toString() : value) ?? String(value);
  return new MigratorError('E_MIGRATION_FAILED', `${label(migration)}: verify(ctx) of ${script.file} returned ${shown}, not a true value`, {
    at: { file: script.file },
    hint: 'The migration was rolled back where the engine allows it. Fix the data or the migration, then run "migrate up" again.',
    details: { version: migration.id, verify: `verify(ctx) of ${script.file}`, returned: shown },
  });
}
