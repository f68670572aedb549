/**
 * The statement loop shared by transactional and journaled steps: stop at statement boundaries on
 * a signal or a lost lease, translate engine errors, and retry a journaled statement that failed
 * only on a lock timeout (it changed nothing, so running it again is safe).
 */
import { MigratorError } from '../errors.js';
import { nextHash, prefixHash } from '../journal-hash.js';
import type { EventSink } from '../events.js';
import type { Statement } from '../model.js';
import type { PlanStep } from '../plan/index.js';
import type { Driver, ExecuteResult } from '../ports.js';
import type { FaultHook } from './faults.js';
import { statementFailure } from './failure.js';
import { isDataStatement } from '../source/statement-kind.js';
import { openStatements } from '../source/streamed.js';
import { describeId } from '../plan/files.js';

export interface Progress {
  applied: number;
  hash: string | null;
}

export interface StatementRunner {
  readonly step: PlanStep;
  readonly driver: Driver;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly fault: FaultHook | undefined;
  readonly sleep: (ms: number) => Promise<void>;
  readonly transactional: boolean;
  readonly lockRetries: number;
}

export { nextHash, prefixHash };

/** Backoff before retry `attempt` (1-based) after a lock timeout: 0.5 s, 1 s, 2 s, ... capped at 10 s. */
export function retryDelay(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 10_000);
}

export function lockLostError(): MigratorError {
  return new MigratorError('E_LOCK_LOST', 'lost the migration lock (its lease expired or was taken over, or the connection holding it closed): stopped before the next statement', {
    hint: 'Another run may be migrating this database now. Run "migrate status" once it is done; a journaled migration left in_progress needs "migrate up --resume" or "migrate repair".',
  });
}

export const interrupted = (): MigratorError =>
  new MigratorError('E_INTERRUPTED', 'interrupted: stopped at a statement boundary', {
    hint: 'The lock was released. A migration in a transaction was rolled back: run "migrate up" to continue. One running outside a transaction is recorded as stopped after its last statement: continue it with "migrate up --resume". "migrate status" shows which.',
  });

/**
 * Lets pending macrotasks (signal handlers, timers) run. A synchronous client such as
 * better-sqlite3 resolves every await as a microtask, so without this a SIGINT would only be seen
 * after the whole run: the "stop at the next statement boundary" promise depends on it.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function executeOne(run: StatementRunner, statement: Statement, index: number, progress: Progress): Promise<ExecuteResult> {
  const { step, driver } = run;
  for (let attempt = 1; ; attempt++) {
    try {
      return await driver.execute(statement, { timeoutMs: step.script.timeoutMs });
    } catch (error) {
      const engine = driver.describeError(error);
      // Outside a transaction a timed-out statement may still leave something behind (PostgreSQL's
      // CREATE INDEX CONCURRENTLY leaves an INVALID index): retry only when the engine sees nothing.
      const retry = !run.transactional && engine.kind === 'lock_timeout' && attempt <= run.lockRetries && !run.signal.aborted && (await driver.leftovers().catch(() => ['unknown'])).length === 0;
      if (!retry) {
        throw statementFailure({ migration: step.migration, script: step.script, statement, index, error, progress: run.transactional ? undefined : progress, transactional: run.transactional, engine });
      }
      const delayMs = retryDelay(attempt);
      run.emit({ type: 'migration.retrying', id: step.migration.id, attempt, delayMs, reason: engine.message });
      await run.sleep(delayMs);
      if (run.signal.aborted) throw interrupted();
    }
  }
}

/**
 * How one statement is wrapped: `execute` runs it and counts it in `progress`; a journaled step
 * puts its journal writes around that call. The plain protocol just executes.
 */
export type StatementProtocol = (statement: Statement, index: number, execute: () => Promise<void>) => Promise<void>;

const plainProtocol: StatementProtocol = (_statement, _index, execute) => execute();

export { isDataStatement };

/** Runs one statement through `protocol`, counting it in `progress` once it returned. */
async function runOne(run: StatementRunner, statement: Statement, index: number, progress: Progress, protocol: StatementProtocol): Promise<void> {
  await yieldToEventLoop();
  if (run.signal.aborted) throw interrupted();
  if (run.driver.lockLost()) throw lockLostError();
  run.fault?.('statement.before');
  const started = performance.now();
  let rows: number | undefined;
  await protocol(statement, index, async () => {
    ({ rows } = await executeOne(run, statement, index, progress));
    progress.applied = index + 1;
    progress.hash = nextHash(progress.hash, statement);
    run.fault?.('statement.after');
  });
  run.emit({ type: 'statement.executed', id: run.step.migration.id, index, line: statement.line, durationMs: performance.now() - started, rows });
}

/**
 * Runs the step's statements from `progress.applied` on, each through `protocol`. `skip`: the
 * statement in flight at a crash, found to have taken effect, counted without running (a streamed
 * file's; for the others the resume counts it before).
 */
export async function runStatements(run: StatementRunner, progress: Progress, protocol: StatementProtocol = plainProtocol, skip?: number): Promise<void> {
  if (run.step.script.stream) return runStreamed(run, progress, protocol, skip);
  const statements = run.step.script.statements;
  for (let index = progress.applied; index < statements.length; index++) await runOne(run, statements[index] as Statement, index, progress, protocol);
}

function changedPrefix(run: StatementRunner, from: number): MigratorError {
  const { migration, script } = run.step;
  return new MigratorError('E_FAILED_MIGRATION', `cannot resume ${describeId(migration.id)}: the first ${from} statements of ${script.file} are not the ones that were applied`, {
    at: { file: script.file },
    hint: 'Only statements after the failed one may change before a resume. Restore the applied statements as they were, or fix the database by hand and run "migrate repair".',
    details: { version: migration.id, statementsApplied: from },
  });
}

/**
 * A streamed file's statements (source/streamed.ts), read from the file as they run, never all in
 * memory. Those a resume starts after are only hashed, and must hash to what was applied; at the
 * end the file must checksum, on this same pass, to what the run planned with: a file changed
 * meanwhile fails the migration (rolled back where it runs in a transaction).
 */
async function runStreamed(run: StatementRunner, progress: Progress, protocol: StatementProtocol, skip: number | undefined): Promise<void> {
  const { step } = run;
  const from = progress.applied;
  let prefix: string | null = null;
  let index = 0;
  const statements = openStatements(step.script.stream?.absolute ?? '', step.script.file, run.driver.syntax);
  for await (const statement of statements) {
    if (index < from) {
      prefix = nextHash(prefix, statement);
      index += 1;
      if (index === from && prefix !== progress.hash) throw changedPrefix(run, from);
      continue;
    }
    if (index === skip) {
      progress.applied = index + 1;
      progress.hash = nextHash(progress.hash, statement);
    } else {
      await runOne(run, statement, index, progress, protocol);
    }
    index += 1;
  }
  if (index < from) throw changedPrefix(run, from);
  const summary = statements.summary;
  if (summary === undefined || summary.error !== undefined || summary.checksum !== step.migration.checksum) {
    throw new MigratorError('E_CHECKSUM_MISMATCH', `${step.script.file} changed while ${describeId(step.migration.id)} ran: it no longer reads as the file the run planned with`, {
      at: { file: step.script.file },
      hint: 'Do not edit a migration file while it runs. Put the file back as it was, then run "migrate status" to see what was applied.',
      details: { version: step.migration.id, expected: step.migration.checksum, found: summary?.checksum ?? null },
    });
  }
}
