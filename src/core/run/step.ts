/**
 * Runs one planned step. Where the engine's DDL is transactional and the script allows it, the
 * statements, the history row and the audit row commit together or not at all. Otherwise the step
 * is journaled: an `in_progress` row first, then the count and running hash of the statements
 * applied after each one, so a failure leaves a precise `failed` row instead of an unknown state.
 */
import { createHash } from 'node:crypto';
import { MigratorError } from '../errors.js';
import type { Direction, EventSink } from '../events.js';
import type { HistoryRow, RunContext, Script, Statement } from '../model.js';
import type { PlanStep } from '../plan/index.js';
import type { Driver } from '../ports.js';
import type { AuditChain } from './audit.js';
import { statementFailure, verifyFailure } from './failure.js';
import { auditEntry, historyRow } from './records.js';

export interface StepDeps {
  readonly driver: Driver;
  readonly chain: AuditChain;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  /** Batch recorded on the history row (the previous row's batch for reverts). */
  readonly batch: number;
}

const TRUTHY = new Set(['1', 't', 'true', 'y', 'yes', 'on']);

function isTrue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return TRUTHY.has(value.trim().toLowerCase()) || (Number(value) !== 0 && !Number.isNaN(Number(value)));
  return false;
}

function nextHash(previous: string | null, statement: Statement): string {
  return createHash('sha256').update(previous ?? '').update('\n').update(statement.sql).digest('hex');
}

interface Progress {
  applied: number;
  hash: string | null;
}

const interrupted = (): MigratorError =>
  new MigratorError('E_INTERRUPTED', 'interrupted: stopped at a statement boundary', {
    hint: 'The migration in flight was rolled back where its engine allows it, and the lock was released. Run "migrate status" to see where the run stopped, then "migrate up" to continue.',
  });

/**
 * Lets pending macrotasks (signal handlers, timers) run. A synchronous client such as
 * better-sqlite3 resolves every await as a microtask, so without this a SIGINT would only be seen
 * after the whole run: the "stop at the next statement boundary" promise depends on it.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runStatements(step: PlanStep, deps: StepDeps, progress: Progress, afterEach: () => Promise<void>): Promise<void> {
  const { script, migration } = step;
  for (const [index, statement] of script.statements.entries()) {
    await yieldToEventLoop();
    if (deps.signal.aborted) throw interrupted();
    const started = performance.now();
    try {
      await deps.driver.execute(statement, { timeoutMs: script.timeoutMs });
    } catch (error) {
      const transactional = usesTransaction(step, deps.driver);
      throw statementFailure({ migration, script, statement, index, error, progress: transactional ? undefined : progress, transactional });
    }
    progress.applied = index + 1;
    progress.hash = nextHash(progress.hash, statement);
    deps.emit({ type: 'statement.executed', id: migration.id, index, line: statement.line, durationMs: performance.now() - started });
    await afterEach();
  }
}

async function runVerify(step: PlanStep, deps: StepDeps): Promise<void> {
  const verify: Script | undefined = step.action === 'revert' ? undefined : step.migration.verify;
  for (const statement of verify?.statements ?? []) {
    const value = await deps.driver.queryValue(statement.sql).catch((error: unknown) => {
      throw statementFailure({ migration: step.migration, script: verify as Script, statement, index: 0, error, progress: undefined, transactional: usesTransaction(step, deps.driver) });
    });
    if (!isTrue(value)) throw verifyFailure(step.migration, verify as Script, statement, value);
  }
}

function finalRow(step: PlanStep, deps: StepDeps, progress: Progress, durationMs: number): HistoryRow {
  return historyRow(step.migration, deps.context, {
    state: step.action === 'revert' ? 'rolled_back' : 'applied',
    batch: deps.batch,
    statementsTotal: step.script.statements.length,
    statementsApplied: progress.applied,
    appliedHash: progress.hash,
    executionMs: Math.round(durationMs),
    error: null,
  });
}

function successAudit(step: PlanStep, deps: StepDeps, durationMs: number) {
  const direction: Direction = step.action === 'revert' ? 'down' : 'up';
  return auditEntry(deps.context, {
    event: direction === 'down' ? 'migration.reverted' : 'migration.applied',
    outcome: 'success',
    version: step.migration.id,
    checksum: direction === 'down' ? (step.migration.downChecksum ?? null) : step.migration.checksum,
    durationMs: Math.round(durationMs),
    detail: { file: step.script.file, statements: step.script.statements.length, transactional: usesTransaction(step, deps.driver) },
  });
}

/** Whether the step runs inside one transaction with its metadata writes. */
export function usesTransaction(step: PlanStep, driver: Driver): boolean {
  return driver.capabilities.transactionalDdl && step.script.transactional;
}

async function runTransactional(step: PlanStep, deps: StepDeps, started: number): Promise<Progress> {
  const progress: Progress = { applied: 0, hash: null };
  const head = deps.chain.mark();
  await deps.driver.begin();
  try {
    await runStatements(step, deps, progress, async () => {});
    await runVerify(step, deps);
    const durationMs = performance.now() - started;
    await deps.driver.writeHistory(finalRow(step, deps, progress, durationMs));
    await deps.chain.append(successAudit(step, deps, durationMs));
    await deps.driver.assertLock();
    await deps.driver.commit();
    return progress;
  } catch (error) {
    await deps.driver.rollback().catch(() => undefined);
    deps.chain.reset(head);
    throw error;
  }
}

async function runJournaled(step: PlanStep, deps: StepDeps, started: number): Promise<Progress> {
  const progress: Progress = { applied: 0, hash: null };
  const journal = (state: 'in_progress' | 'failed', error: string | null): Promise<void> =>
    deps.driver.writeHistory(historyRow(step.migration, deps.context, {
      state, batch: deps.batch, statementsTotal: step.script.statements.length, statementsApplied: progress.applied,
      appliedHash: progress.hash, executionMs: Math.round(performance.now() - started), error,
    }));
  await deps.driver.assertLock();
  await journal('in_progress', null);
  try {
    await runStatements(step, deps, progress, () => journal('in_progress', null));
    await runVerify(step, deps);
  } catch (error) {
    const detail = error instanceof MigratorError ? { code: error.code, message: error.message, direction: step.action === 'revert' ? 'down' : 'up', ...error.details } : { message: String(error) };
    await journal('failed', JSON.stringify(detail)).catch(() => undefined);
    throw error;
  }
  const durationMs = performance.now() - started;
  await deps.driver.assertLock();
  await deps.driver.writeHistory(finalRow(step, deps, progress, durationMs));
  await deps.chain.append(successAudit(step, deps, durationMs));
  return progress;
}

/** Executes one step; throws MigratorError (E_MIGRATION_FAILED, E_INTERRUPTED, E_LOCK_LOST) on failure. */
export async function executeStep(step: PlanStep, deps: StepDeps): Promise<{ readonly durationMs: number; readonly statements: number }> {
  const started = performance.now();
  const progress = usesTransaction(step, deps.driver) ? await runTransactional(step, deps, started) : await runJournaled(step, deps, started);
  return { durationMs: performance.now() - started, statements: progress.applied };
}
