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

/**
 * Whether a statement only reads or writes rows (INSERT, UPDATE, DELETE, SELECT, ...): such a
 * statement can share a transaction with its journal write on every engine, even where DDL cannot.
 */
export function isDataStatement(sql: string): boolean {
  const word = /^[\s(]*([A-Za-z]+)/.exec(sql.replace(/^(?:\s*(?:--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, ''))?.[1]?.toLowerCase();
  return word !== undefined && ['insert', 'update', 'delete', 'replace', 'merge', 'select', 'with', 'values', 'upsert'].includes(word);
}

/** Runs the step's statements from `progress.applied` on, each through `protocol`. */
export async function runStatements(run: StatementRunner, progress: Progress, protocol: StatementProtocol = plainProtocol): Promise<void> {
  const { step } = run;
  const statements = step.script.statements;
  for (let index = progress.applied; index < statements.length; index++) {
    const statement = statements[index] as Statement;
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
    run.emit({ type: 'statement.executed', id: step.migration.id, index, line: statement.line, durationMs: performance.now() - started, rows });
  }
}
