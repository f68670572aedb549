/**
 * Runs one planned step. Where the engine's DDL is transactional and the script allows it, the
 * statements, the history row and the audit row commit together or not at all. Otherwise the step
 * is journaled: an `in_progress` row first, then the count and running hash of the statements
 * applied after each one, so a failure leaves a precise `failed` row instead of an unknown state.
 */
import { MigratorError } from '../errors.js';
import type { Direction, EventSink } from '../events.js';
import { statementCount, type HistoryRow, type RunContext, type Script } from '../model.js';
import type { PlanStep } from '../plan/index.js';
import { describeId } from '../plan/files.js';
import type { Capabilities, Driver } from '../ports.js';
import type { AuditChain } from './audit.js';
import type { FaultHook } from './faults.js';
import { interrupted, isDataStatement, lockLostError, nextHash, prefixHash, retryDelay, runStatements, type Progress, type StatementProtocol, type StatementRunner } from './statements.js';
import { statementFailure, verifyFailure } from './failure.js';
import { auditEntry, historyRow } from './records.js';
import { ddlScope } from './ddl-scope.js';
import { freshBatches, programVerifyFailure, runProgram, type ProgramRun } from './program.js';
import type { BatchState } from './batch.js';
import type { StepAround } from './callbacks.js';

export interface StepDeps {
  readonly driver: Driver;
  readonly chain: AuditChain;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  /** Batch recorded on the history row (the previous row's batch for reverts). */
  readonly batch: number;
  /** How many times a step that failed only on a lock timeout is tried again. */
  readonly lockRetries: number;
  readonly fault: FaultHook | undefined;
  readonly sleep: (ms: number) => Promise<void>;
  /** SQL callbacks around the step (`beforeEachMigrate.sql`, ...): inside its transaction when it has one. */
  readonly around?: StepAround | undefined;
}

/** At most this many data statements of a streamed file, or this long, share one journaled transaction (see runJournaled). */
const GROUP_STATEMENTS = 1000;
const GROUP_MS = 1000;

const TRUTHY = new Set(['1', 't', 'true', 'y', 'yes', 'on']);

function isTrue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return TRUTHY.has(value.trim().toLowerCase()) || (Number(value) !== 0 && !Number.isNaN(Number(value)));
  return false;
}

/**
 * Whether the step runs inside one transaction with its metadata writes. A resume never does.
 * Where DDL is not transactional (MySQL), a SQL file of data statements only (INSERT, UPDATE,
 * DELETE, ...) still can: nothing in it commits by itself.
 */
export function runsInTransaction(step: PlanStep, capabilities: Capabilities): boolean {
  if (!step.script.transactional || step.action === 'resume') return false;
  if (capabilities.transactionalDdl) return true;
  if (step.script.program) return false;
  return step.script.stream ? step.script.stream.allData : step.script.statements.every((statement) => isDataStatement(statement.sql));
}

/**
 * `runsInTransaction`, and, where DDL is not transactional, no SQL callbacks around the step: a
 * callback's DDL would commit the transaction half-way.
 */
function usesTransaction(step: PlanStep, deps: Pick<StepDeps, 'driver' | 'around'>): boolean {
  return runsInTransaction(step, deps.driver.capabilities) && (deps.driver.capabilities.transactionalDdl || deps.around === undefined);
}

function runner(step: PlanStep, deps: StepDeps): StatementRunner {
  return { step, driver: deps.driver, emit: deps.emit, signal: deps.signal, fault: deps.fault, sleep: deps.sleep, transactional: usesTransaction(step, deps), lockRetries: deps.lockRetries };
}

/** What a scripted function of the step runs with. */
function programRun(step: PlanStep, deps: StepDeps, script: Script, batches: BatchState): Omit<ProgramRun, 'program'> {
  return {
    migration: step.migration, script, driver: deps.driver, emit: deps.emit, signal: deps.signal, environment: deps.context.environment,
    transactional: usesTransaction(step, deps), runId: deps.context.runId, now: deps.context.now, batches,
  };
}

/** Runs the step's SQL statements, or calls its scripted function (`up(ctx)`, `down(ctx)`). */
async function runBody(step: PlanStep, deps: StepDeps, progress: Progress, batches: BatchState, protocol?: StatementProtocol, skip?: number): Promise<void> {
  const program = step.script.program;
  if (!program) return runStatements(runner(step, deps), progress, protocol, skip);
  await runProgram({ ...programRun(step, deps, step.script, batches), program }, progress);
}

/** Statements of the step: a scripted function's are the ctx calls it made. */
function statementsTotal(step: PlanStep, progress: Progress): number {
  return step.script.program ? progress.applied : statementCount(step.script);
}

async function runVerify(step: PlanStep, deps: StepDeps): Promise<void> {
  const verify: Script | undefined = step.action === 'revert' ? undefined : step.migration.verify;
  if (verify?.program) {
    // verify(ctx)'s own calls are not counted as the migration's statements.
    const value = await runProgram({ ...programRun(step, deps, verify, freshBatches()), program: verify.program }, { applied: 0, hash: null });
    if (!value) throw programVerifyFailure(step.migration, verify, value);
    return;
  }
  for (const statement of verify?.statements ?? []) {
    let value: unknown;
    try {
      value = await deps.driver.queryValue(statement.sql);
    } catch (error) {
      throw statementFailure({ migration: step.migration, script: verify as Script, statement, index: 0, error, progress: undefined, transactional: usesTransaction(step, deps), engine: deps.driver.describeError(error) });
    }
    if (!isTrue(value)) throw verifyFailure(step.migration, verify as Script, statement, value);
  }
}

function finalRow(step: PlanStep, deps: StepDeps, progress: Progress, durationMs: number): HistoryRow {
  return historyRow(step.migration, deps.context, {
    state: step.action === 'revert' ? 'rolled_back' : 'applied',
    batch: deps.batch,
    statementsTotal: statementsTotal(step, progress),
    statementsApplied: progress.applied,
    appliedHash: progress.hash,
    executionMs: Math.round(durationMs),
    error: null,
  });
}

function successAudit(step: PlanStep, deps: StepDeps, durationMs: number, batches: BatchState) {
  const direction: Direction = step.action === 'revert' ? 'down' : 'up';
  return auditEntry(deps.context, {
    event: direction === 'down' ? 'migration.reverted' : 'migration.applied',
    outcome: 'success',
    version: step.migration.id,
    checksum: direction === 'down' ? (step.migration.downChecksum ?? null) : step.migration.checksum,
    durationMs: Math.round(durationMs),
    detail: {
      file: step.script.file, statements: statementCount(step.script), transactional: usesTransaction(step, deps),
      ...(step.resume ? (step.script.program ? { resumed: true } : { resumedFrom: step.resume.from + 1 }) : {}),
      ...(batches.finished.length > 0 ? { rowsProcessed: batches.finished.reduce((sum, job) => sum + job.rowsProcessed, 0), batches: batches.finished } : {}),
    },
  });
}

async function runTransactional(step: PlanStep, deps: StepDeps, started: number): Promise<Progress> {
  const progress: Progress = { applied: 0, hash: null };
  const batches = freshBatches();
  const head = deps.chain.mark();
  await deps.driver.begin();
  try {
    // What an earlier journaled attempt of this script left would only mislead.
    if (step.script.program) await deps.driver.clearCheckpoints(step.migration.id);
    await deps.around?.before();
    await runBody(step, deps, progress, batches);
    await runVerify(step, deps);
    await deps.around?.after();
    const durationMs = performance.now() - started;
    deps.fault?.('commit.before');
    // The history row, the audit row, the lock check and COMMIT: one round trip where the engine allows.
    await deps.chain.commitStep(finalRow(step, deps, progress, durationMs), successAudit(step, deps, durationMs, batches));
    deps.fault?.('commit.after');
    return progress;
  } catch (error) {
    await deps.driver.rollback().catch(() => undefined);
    deps.chain.reset(head);
    throw error;
  }
}

/** A resume continues only if the statements applied before are the ones in the file now. */
function verifiedPrefix(step: PlanStep): Progress {
  const from = step.resume?.from ?? 0;
  if (from === 0) return { applied: 0, hash: null };
  const hash = prefixHash(step.script.statements.slice(0, from));
  if (from > step.script.statements.length || hash !== step.resume?.appliedHash) {
    throw new MigratorError('E_FAILED_MIGRATION', `cannot resume ${describeId(step.migration.id)}: the first ${from} statements of ${step.script.file} are not the ones that were applied`, {
      at: { file: step.script.file },
      hint: 'Only statements after the failed one may change before a resume. Restore the applied statements as they were, or fix the database by hand and run "migrate repair".',
      details: { version: step.migration.id, statementsApplied: from },
    });
  }
  return { applied: from, hash };
}

/**
 * Where a resume starts. When the run died while a DDL statement was in flight, the journal holds
 * the schema fingerprint taken just before it: a different fingerprint now means the statement
 * completed (the server finishes DDL after its client dies), so the resume continues after it.
 */
async function resumeProgress(step: PlanStep, deps: StepDeps): Promise<{ readonly progress: Progress; readonly skip?: number | undefined }> {
  // A streamed file's statements are not in memory: its prefix is checked, and a statement in
  // flight that took effect skipped, as the file is read again (statements.ts).
  const streamed = step.script.stream !== undefined;
  const progress = streamed ? { applied: step.resume?.from ?? 0, hash: step.resume?.appliedHash ?? null } : verifiedPrefix(step);
  const flight = step.resume?.inFlight;
  const statement = step.script.statements[progress.applied];
  if (!flight || flight.index !== progress.applied || (!statement && !streamed)) return { progress };
  const leftovers = await deps.driver.leftovers();
  if (leftovers.length > 0) {
    throw new MigratorError('E_FAILED_MIGRATION', `cannot resume ${describeId(step.migration.id)}: statement ${flight.index + 1} was cut off half-way and left objects behind`, {
      at: { file: step.script.file, ...(statement ? { line: statement.line } : {}) },
      hint: `${leftovers.join(' ')} Then run "migrate up --resume" again.`,
      details: { version: step.migration.id, leftovers },
    });
  }
  const tookEffect = (await deps.driver.schemaFingerprint(flight.scope)) !== flight.fingerprint;
  deps.emit({ type: 'statement.recovered', id: step.migration.id, index: flight.index, tookEffect });
  if (!statement) return { progress, skip: tookEffect ? flight.index : undefined };
  return { progress: tookEffect ? { applied: progress.applied + 1, hash: nextHash(progress.hash, statement) } : progress };
}

/**
 * The ctx.batch checkpoints a scripted step starts from. A fresh run clears those of an earlier
 * attempt (one undone by `repair --as rolled-back` starts over). A resume continues from them; a
 * script that had started no batch job cannot be resumed: its ctx calls are not a replayable list,
 * and running the function again could apply twice what the failed attempt did.
 */
async function scriptBatches(step: PlanStep, deps: StepDeps): Promise<BatchState> {
  const id = step.migration.id;
  if (!step.resume) {
    await deps.driver.clearCheckpoints(id);
    return freshBatches();
  }
  const checkpoints = await deps.driver.readCheckpoints(id);
  if (checkpoints.length === 0) {
    throw new MigratorError('E_FAILED_MIGRATION', `cannot resume ${describeId(id)}: ${step.script.file} is a scripted migration without a ctx.batch checkpoint, and such a script runs whole or not at all`, {
      at: { file: step.script.file },
      hint: `Undo or finish its work by hand, then run "migrate repair --version ${id} --as rolled-back" (so "migrate up" runs it again) or "--as applied".`,
      details: { version: id },
    });
  }
  return freshBatches(new Map(checkpoints.map((c) => [c.name, c])));
}

async function runJournaled(step: PlanStep, deps: StepDeps, started: number): Promise<Progress> {
  const batches = step.script.program ? await scriptBatches(step, deps) : freshBatches();
  const { progress, skip } = step.resume && !step.script.program ? await resumeProgress(step, deps) : { progress: { applied: 0, hash: null }, skip: undefined };
  const direction = step.action === 'revert' ? 'down' : 'up';
  const journal = (state: 'in_progress' | 'failed', detail: Record<string, unknown>): Promise<void> =>
    deps.driver.writeHistory(historyRow(step.migration, deps.context, {
      state, batch: deps.batch, statementsTotal: statementsTotal(step, progress), statementsApplied: progress.applied,
      appliedHash: progress.hash, executionMs: Math.round(performance.now() - started), error: JSON.stringify({ direction, ...detail }),
    }));
  // Row changes share a transaction with their journal write, so a crash cannot split them. DDL
  // cannot (it commits by itself on MySQL): the journal first records it in flight, with the
  // fingerprint before it of the objects it names, so a resume can tell whether it completed. For
  // a statement of a form ddl-scope.ts reads, whose effect the fingerprint shows (or which is
  // harmless to run again, as TRUNCATE), that makes a journal write after it needless when the
  // next statement is DDL too (its write records this one done) or there is none (the final write
  // does). Any other statement (CALL, SET, ...) is recorded done at once, so a resume never runs it twice.
  //
  // In a streamed file (a data load too large to hold), consecutive data statements share one
  // transaction and one journal write, committed before the next DDL statement, after
  // GROUP_STATEMENTS of them or GROUP_MS, and at the end: a commit each made such a file on MySQL
  // twice as slow as its own client. A crash or failure undoes the open group only; the journal
  // then names the statements before it. Other files commit each data statement with its write.
  let group: { readonly before: Progress; readonly since: number; count: number } | undefined;
  const closeGroup = async (): Promise<void> => {
    const open = group;
    if (!open) return;
    group = undefined;
    try {
      await journal('in_progress', {});
      await deps.driver.commit();
    } catch (error) {
      await deps.driver.rollback().catch(() => undefined);
      Object.assign(progress, open.before);
      throw error;
    }
  };
  const abandonGroup = async (): Promise<void> => {
    const open = group;
    if (!open) return;
    group = undefined;
    await deps.driver.rollback().catch(() => undefined);
    Object.assign(progress, open.before);
  };
  const protocol: StatementProtocol = async (statement, index, execute) => {
    const next = step.script.statements[index + 1];
    if (isDataStatement(statement.sql)) {
      if (!group) {
        await deps.driver.begin();
        group = { before: { ...progress }, since: performance.now(), count: 0 };
      }
      try {
        await execute();
      } catch (error) {
        await abandonGroup();
        throw error;
      }
      group.count += 1;
      if (!step.script.stream || group.count >= GROUP_STATEMENTS || performance.now() - group.since >= GROUP_MS) await closeGroup();
      return;
    }
    await closeGroup();
    const scope = ddlScope(statement.sql);
    await journal('in_progress', { inFlight: { index, fingerprint: await deps.driver.schemaFingerprint(scope), ...(scope ? { scope } : {}) } });
    await execute();
    // Before a data statement, which writes the journal only when it commits, the row says at once
    // that this one is done: a crash during that statement then names it, not this one.
    if (!scope || (next !== undefined && isDataStatement(next.sql))) await journal('in_progress', {});
  };
  await deps.driver.assertLock();
  // Outside a transaction the before-callback runs before the journal row: if it fails, nothing of
  // the migration ran and no row needs a resume or repair.
  await deps.around?.before();
  // A scripted function's ctx calls are not journaled one by one: its row says it started. A SQL
  // file's first statement writes its own (DDL) or commits with it (data); until then there is
  // nothing to resume.
  if (step.script.program) await journal('in_progress', {});
  try {
    await runBody(step, deps, progress, batches, protocol, skip);
    await closeGroup();
    await runVerify(step, deps);
    await deps.around?.after();
  } catch (caught) {
    await abandonGroup();
    const error = await withLeftovers(caught, deps.driver);
    // A lost lock or connection means this session may no longer write: the row stays in_progress.
    if (!(error instanceof MigratorError && (error.code === 'E_LOCK_LOST' || error.details['engineKind'] === 'connection_lost'))) {
      const detail = error instanceof MigratorError ? { code: error.code, message: error.message, ...error.details } : { message: String(error) };
      await journal('failed', detail).catch(() => undefined);
    }
    throw error;
  }
  const durationMs = performance.now() - started;
  deps.fault?.('commit.before');
  // The final row, the audit row and the lock check commit together: one round trip where the engine allows.
  const head = deps.chain.mark();
  await deps.driver.begin();
  try {
    // The job is done: its checkpoints would only mislead a later run.
    if (batches.names.size > 0 || batches.checkpoints.size > 0) await deps.driver.clearCheckpoints(step.migration.id);
    await deps.chain.commitStep(finalRow(step, deps, progress, durationMs), successAudit(step, deps, durationMs, batches));
  } catch (error) {
    await deps.driver.rollback().catch(() => undefined);
    deps.chain.reset(head);
    throw error;
  }
  deps.fault?.('commit.after');
  return progress;
}

/** Adds what a failed statement left behind (INVALID indexes) to the error's hint and details. */
async function withLeftovers(error: unknown, driver: Driver): Promise<unknown> {
  if (!(error instanceof MigratorError) || error.code !== 'E_MIGRATION_FAILED' || error.details['engineKind'] === 'connection_lost') return error;
  const leftovers = await driver.leftovers().catch(() => []);
  if (leftovers.length === 0) return error;
  const sentences = leftovers.map((sentence) => (/[.!?]$/.test(sentence) ? sentence : `${sentence}.`));
  return new MigratorError(error.code, error.message, {
    ...(error.at ? { at: error.at } : {}),
    hint: `${sentences.join(' ')} ${error.hint ?? ''}`.trim(),
    cause: error.cause,
    details: { ...error.details, leftovers },
  });
}

/** Executes one step; throws MigratorError (E_MIGRATION_FAILED, E_INTERRUPTED, E_LOCK_LOST) on failure. */
export async function executeStep(step: PlanStep, deps: StepDeps): Promise<{ readonly durationMs: number; readonly statements: number }> {
  const started = performance.now();
  if (!usesTransaction(step, deps)) {
    const progress = await runJournaled(step, deps, started);
    return { durationMs: performance.now() - started, statements: progress.applied };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const progress = await runTransactional(step, deps, started);
      return { durationMs: performance.now() - started, statements: progress.applied };
    } catch (error) {
      // Rolled back whole, so trying again is safe: the DDL only waited too long for a table lock.
      if (!(error instanceof MigratorError) || error.details['engineKind'] !== 'lock_timeout' || attempt > deps.lockRetries) throw error;
      const delayMs = retryDelay(attempt);
      deps.emit({ type: 'migration.retrying', id: step.migration.id, attempt, delayMs, reason: String(error.details['engineMessage'] ?? error.message) });
      await deps.sleep(delayMs);
      if (deps.signal.aborted) throw interrupted();
    }
  }
}

export { lockLostError };
