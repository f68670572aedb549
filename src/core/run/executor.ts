/**
 * Runs a plan: takes the lock, reads (and if needed creates) the metadata under it, plans from the
 * history read under the lock, runs each step, and always releases the lock. It never prints: it
 * emits events and returns a report, including when a step failed.
 */
import { MigratorError } from '../errors.js';
import type { Direction, EventSink } from '../events.js';
import { statementCount, type HistoryRow, type RunContext } from '../model.js';
import type { Plan, PlanStep } from '../plan/index.js';
import type { Driver, RecoveryPoint } from '../ports.js';
import { createAuditChain, type AuditChain } from './audit.js';
import { takeRunLock } from './run-lock.js';
import { auditEntry } from './records.js';
import { recordAfterRun } from './schema-record.js';
import { diffLines, readDrift } from '../drift.js';
import type { FaultHook } from './faults.js';
import { executeStep } from './step.js';
import { aroundRun, callbacksAudit, stepCallbacks, type CallbackRun, type RunHooks } from './callbacks.js';
import type { Callback } from '../source/callbacks.js';

/**
 * Format of the metadata tables this version writes; a database with a newer one is refused.
 * 2: migrator_audit.prev_hash is unique, so appends made without the lock cannot fork the chain.
 */
export const METADATA_FORMAT = 2;

/** How many lines of drift found before a run its audit row keeps (each side). */
const DRIFT_AUDITED = 50;

export interface RunInput {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly lockTimeoutMs: number;
  readonly direction: Direction;
  /** Plans from the history read under the lock; throws (ProblemsError, MigratorError) to refuse. */
  readonly plan: (history: ReadonlyArray<HistoryRow>) => Plan;
  /** Retries of a migration that failed only on a DDL lock timeout (default 3). */
  readonly lockRetries?: number | undefined;
  /** Where the engine has no log position (SQLite), make a backup copy before the first migration (protected runs). */
  readonly backupCopy?: boolean | undefined;
  /** Extra facts for the run.started audit row (the backup hook's outcome). */
  readonly auditDetail?: Readonly<Record<string, unknown>> | undefined;
  /** Test-only crash injection at run boundaries. */
  readonly fault?: FaultHook | undefined;
  /** SQL callback files (`beforeMigrate.sql`, ...), parsed; run only when the plan has steps (docs/callbacks.md). */
  readonly callbacks?: ReadonlyArray<Callback> | undefined;
  /** Configured hooks, implemented by the edge; run only when the plan has steps. */
  readonly hooks?: RunHooks | undefined;
  /** Injected for tests (retry backoff). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface CompletedStep {
  readonly id: string;
  readonly version: string | null;
  readonly description: string;
  readonly action: PlanStep['action'];
  readonly durationMs: number;
  readonly statements: number;
}

export interface RunReport {
  readonly plan: Plan;
  readonly batch: number;
  readonly completed: ReadonlyArray<CompletedStep>;
  readonly outcome: 'success' | 'failure' | 'interrupted';
  /** Where a restore would return to just before this run; `undefined` when nothing ran. */
  readonly recoveryPoint?: RecoveryPoint | undefined;
  /** Set when `outcome` is not success: the error to report after rendering the report. */
  readonly error: MigratorError | undefined;
  readonly durationMs: number;
  /** Hash of the newest audit row once the run is done ('' for none): an anchor to keep outside. */
  readonly auditHead?: string | undefined;
}

/** Reads the metadata under the lock, refusing a format newer than this tool writes. */
export async function readHistory(driver: Driver): Promise<{ rows: ReadonlyArray<HistoryRow>; format: number | undefined }> {
  const state = await driver.readState();
  if (state.format !== undefined && state.format > METADATA_FORMAT) {
    throw new MigratorError('E_METADATA_VERSION', `the metadata tables on ${driver.label} have format ${state.format}, newer than this migrator understands (${METADATA_FORMAT})`, {
      hint: 'A newer migrator has migrated this database. Upgrade migrator before running it here.',
    });
  }
  return state;
}

function nextBatch(rows: ReadonlyArray<HistoryRow>): number {
  return rows.reduce((max, row) => Math.max(max, row.batch), 0) + 1;
}

async function runSteps(input: RunInput, plan: Plan, rows: ReadonlyArray<HistoryRow>, chain: AuditChain, around?: CallbackRun): Promise<Omit<RunReport, 'plan' | 'durationMs'>> {
  const batch = nextBatch(rows);
  const previous = new Map(rows.map((row) => [row.version, row]));
  const completed: CompletedStep[] = [];
  for (const step of plan.steps) {
    await new Promise((resolve) => setImmediate(resolve));
    if (input.signal.aborted) {
      return { batch, completed, outcome: 'interrupted', error: new MigratorError('E_INTERRUPTED', `interrupted before ${step.migration.id}: ${completed.length} of ${plan.steps.length} migrations done`) };
    }
    const { migration } = step;
    const direction: Direction = step.action === 'revert' ? 'down' : 'up';
    input.emit({ type: 'migration.started', id: migration.id, version: migration.version?.canonical ?? null, direction, file: step.script.file, statements: statementCount(step.script) });
    const stepBatch = step.action === 'revert' ? (previous.get(migration.id)?.batch ?? batch) : batch;
    const started = performance.now();
    const each = around && stepCallbacks(around, step);
    try {
      await each?.before();
      const result = await executeStep(step, {
        driver: input.driver, chain, context: input.context, emit: input.emit, signal: input.signal, batch: stepBatch,
        lockRetries: input.lockRetries ?? 3, fault: input.fault, sleep: input.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        around: each?.around,
      });
      const done = { id: migration.id, version: migration.version?.canonical ?? null, description: migration.description, action: step.action, durationMs: result.durationMs, statements: result.statements };
      completed.push(done);
      input.emit({ type: direction === 'down' ? 'migration.reverted' : 'migration.applied', id: done.id, version: done.version, description: done.description, durationMs: done.durationMs, statements: done.statements });
      await each?.after();
    } catch (caught) {
      const error = caught instanceof MigratorError ? caught : new MigratorError('E_MIGRATION_FAILED', `${migration.id} failed: ${String(caught)}`, { cause: caught });
      const durationMs = performance.now() - started;
      input.emit({ type: 'migration.failed', id: migration.id, version: migration.version?.canonical ?? null, direction, durationMs, statementIndex: Number(error.details['statementIndex'] ?? 0), code: error.code, message: error.message });
      // A lost lock fails closed: another run may own the metadata now, so write nothing more.
      if (error.code !== 'E_LOCK_LOST') {
        await chain.append(auditEntry(input.context, { event: 'migration.failed', outcome: 'failure', version: migration.id, checksum: migration.checksum, durationMs: Math.round(durationMs), detail: { code: error.code, message: error.message, direction } })).catch(() => undefined);
      }
      return { batch, completed, outcome: error.code === 'E_INTERRUPTED' ? 'interrupted' : 'failure', error };
    }
  }
  return { batch, completed, outcome: 'success', error: undefined };
}

/** The callback files (with checksums) and hook names of this run, for its run.started audit row. */
function callbackDetail(input: RunInput): Record<string, unknown> {
  const callbacks = callbacksAudit(input.callbacks ?? [], input.direction);
  const hooks = Object.keys(input.hooks ?? {});
  return { ...(callbacks.length > 0 ? { callbacks } : {}), ...(hooks.length > 0 ? { hooks } : {}) };
}

/** Runs `input.plan` under the lock. Throws only before any step runs; step failures are in the report. */
export async function runPlan(input: RunInput): Promise<RunReport> {
  const { driver, context } = input;
  const started = performance.now();
  await takeRunLock(driver, context, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  let report: RunReport | undefined;
  try {
    input.fault?.('lock.acquired');
    const state = await readHistory(driver);
    const plan = input.plan(state.rows);
    input.emit({ type: 'run.started', runId: context.runId, command: context.command, direction: input.direction, pending: plan.steps.length, dryRun: false });
    if (plan.steps.length === 0) {
      report = { plan, batch: nextBatch(state.rows), completed: [], outcome: 'success', error: undefined, durationMs: performance.now() - started, auditHead: await driver.readAuditHead() };
      return report;
    }
    // Idempotent, and run whenever there is work: metadata someone dropped (a table, the audit
    // table's triggers) is put back before anything is written, rather than failing half-way.
    const { created } = await driver.prepareMetadata(METADATA_FORMAT);
    input.emit({ type: 'metadata.prepared', created });
    const chain = createAuditChain(driver, await driver.readAuditHead());
    const recoveryPoint = await driver.recoveryPoint({ makeCopy: input.backupCopy === true });
    input.emit({ type: 'recovery.point', ...recoveryPoint });
    // The snapshot recorded after this run replaces the last one: drift made by hand before it
    // would vanish without a trace, so it is said now and kept in the run's audit row.
    const drift = await readDrift(driver, state.rows);
    const driftBefore = drift.drifted && drift.diff ? { added: drift.diff.added.slice(0, DRIFT_AUDITED), removed: drift.diff.removed.slice(0, DRIFT_AUDITED), lines: drift.diff.added.length + drift.diff.removed.length } : undefined;
    if (driftBefore) input.emit({ type: 'drift.found', lines: driftBefore.lines, first: diffLines(drift.diff ?? { added: [], removed: [] }).slice(0, 3) });
    await chain.append(auditEntry(context, { event: 'run.started', outcome: 'info', fromVersion: plan.fromVersion, toVersion: plan.toVersion, detail: { direction: input.direction, steps: plan.steps.map((s) => s.migration.id), recoveryPoint, ...(driftBefore ? { driftBefore } : {}), ...callbackDetail(input), ...input.auditDetail } }));
    const around: CallbackRun = { driver, context, emit: input.emit, signal: input.signal, chain, direction: input.direction, plan, callbacks: input.callbacks ?? [], hooks: input.hooks };
    const result = await aroundRun(around, () => runSteps(input, plan, state.rows, chain, around), (error, outcome) => ({ batch: nextBatch(state.rows), completed: [], outcome, error }));
    // Once per run, not per migration; a lost lock fails closed here too.
    if (result.error?.code !== 'E_LOCK_LOST' && !driver.lockLost()) await recordAfterRun(driver, context, input.emit);
    const durationMs = performance.now() - started;
    const reached = result.outcome === 'success' ? plan.toVersion : null;
    if (result.error?.code !== 'E_LOCK_LOST') await chain.append(auditEntry(context, { event: 'run.finished', outcome: result.outcome === 'success' ? 'success' : 'failure', fromVersion: plan.fromVersion, toVersion: reached, durationMs: Math.round(durationMs), detail: { direction: input.direction, completed: result.completed.length, outcome: result.outcome } })).catch(() => undefined);
    report = { plan, ...result, durationMs, recoveryPoint, auditHead: chain.mark() };
    return report;
  } finally {
    await driver.unlock().then(
      () => input.emit({ type: 'lock.released' }),
      (error: unknown) => {
        // A failed unlock after a clean run means someone else held the lock meanwhile: say so.
        if (report?.outcome === 'success') throw error;
      },
    );
    if (report) {
      input.emit({ type: 'run.finished', runId: context.runId, direction: input.direction, count: report.completed.length, durationMs: report.durationMs, outcome: report.outcome, fromVersion: report.plan.fromVersion, toVersion: report.outcome === 'success' ? report.plan.toVersion : null });
    }
  }
}
