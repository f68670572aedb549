/**
 * `validate --rehearse`: runs the pending migrations for real, but on a target whose writes are
 * thrown away (a transaction rolled back at the end, a temporary copy of the database, or an empty
 * scratch database), and checks each pending down by up -> down -> up, comparing schema snapshots.
 * It reports problems; it never throws for a migration that fails, since finding those is its job.
 */
import { MigratorError, type Problem } from '../errors.js';
import type { EventSink } from '../events.js';
import type { HistoryRow, Migration, RunContext } from '../model.js';
import { planUp, type PlanStep, type Policy } from '../plan/index.js';
import type { Driver } from '../ports.js';
import { diffLines } from '../drift.js';
import { diffSnapshots, sameSchema, type SnapshotDiff } from '../schema.js';
import { createAuditChain } from './audit.js';
import { METADATA_FORMAT, readHistory } from './executor.js';
import { acquireLock } from './lock.js';
import { executeStep, runsInTransaction, type StepDeps } from './step.js';

/** How the rehearsal's writes are thrown away. */
export type RehearsalMode =
  /** One transaction around everything, rolled back at the end; each migration's own transaction is a savepoint. */
  | 'transaction'
  /** The target is disposable (a temporary copy, a scratch database): migrations run as in a real `up`. */
  | 'disposable';

export interface RehearseInput {
  readonly driver: Driver;
  readonly mode: RehearsalMode;
  readonly migrations: ReadonlyArray<Migration>;
  readonly policy: Policy;
  /** Ids of the migrations whose down is checked by up -> down -> up: the ones pending on the real target. */
  readonly roundTrip: ReadonlySet<string>;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  /** How long to wait for the lock of a disposable target (a scratch database another rehearsal may use). */
  readonly lockTimeoutMs: number;
}

export interface RehearsalReport {
  /** Migrations applied in the rehearsal, in order. */
  readonly applied: ReadonlyArray<string>;
  /** Migrations whose down restored the schema and whose up then gave the same schema again. */
  readonly roundTrips: ReadonlyArray<string>;
  /** Pending migrations without a down to check (irreversible, or no down section). */
  readonly withoutDown: ReadonlyArray<string>;
  /** Migrations not rehearsed, with the reason (a `transaction off` file in a rolled-back transaction, and those after it). */
  readonly skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
  /** What went wrong: each an E_REHEARSAL problem (exit 5). */
  readonly problems: ReadonlyArray<Problem>;
}

const SHOWN_LINES = 8;

/** Lines of a snapshot diff for a message, `+ added` / `- removed` as verify shows them, at most a few. */
function shownLines(diff: SnapshotDiff): string[] {
  const lines = diffLines(diff);
  return lines.length > SHOWN_LINES ? [...lines.slice(0, SHOWN_LINES), `(${lines.length - SHOWN_LINES} more)`] : lines;
}

function failure(step: PlanStep, what: string, error: unknown, mode: RehearsalMode): Problem {
  const cause = error instanceof MigratorError ? error : undefined;
  const kept = mode === 'transaction' ? 'the rehearsal\'s transaction was rolled back' : 'the real database was not touched';
  return {
    code: 'E_REHEARSAL',
    message: `rehearsal: ${what} failed: ${cause?.message ?? String(error)}`,
    hint: `Fix ${step.script.file} (${kept}), then run "migrate validate --rehearse" again.`,
    ...(cause?.at ? { at: cause.at } : { at: { file: step.script.file } }),
    details: { version: step.migration.id, phase: what },
  };
}

function mismatch(migration: Migration, message: string, diff: SnapshotDiff, file: string, hint: string): Problem {
  return {
    code: 'E_REHEARSAL',
    message: `rehearsal: ${message}:\n    ${shownLines(diff).join('\n    ')}`,
    hint,
    at: { file },
    details: { version: migration.id, added: diff.added, removed: diff.removed },
  };
}

/**
 * A view of `driver` inside one outer transaction that the caller rolls back: each migration's
 * BEGIN/COMMIT/ROLLBACK becomes a savepoint. No lock is taken (nothing is kept), so lock checks pass.
 */
export function rolledBackTransaction(driver: Driver): Driver {
  const savepoint = 'migrator_rehearsal_step';
  const run = async (sql: string): Promise<void> => void (await driver.execute({ sql, line: 1, column: 1 }));
  return {
    ...driver,
    tryLock: async () => ({ acquired: true }),
    assertLock: async () => undefined,
    unlock: async () => undefined,
    lockLost: () => false,
    // Audit rows would be rolled back anyway, but not the id sequence they draw from: keep it untouched.
    appendAudit: async () => true,
    begin: () => run(`SAVEPOINT ${savepoint}`),
    commit: () => run(`RELEASE SAVEPOINT ${savepoint}`),
    // The history row as a run writes it (later steps plan on it), no audit row and no lock check.
    async commitStep(row) {
      await driver.writeHistory(row);
      await run(`RELEASE SAVEPOINT ${savepoint}`);
      return true;
    },
    async rollback() {
      await run(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      await run(`RELEASE SAVEPOINT ${savepoint}`);
    },
  };
}

/**
 * Rehearses the pending migrations on `input.driver`. In `transaction` mode the caller has begun
 * the outer transaction on the driver and passes the `rolledBackTransaction` view.
 */
export async function rehearse(input: RehearseInput): Promise<RehearsalReport> {
  const { driver, context } = input;
  // A disposable target is migrated as for real, lock included; a rolled-back transaction keeps nothing to lock.
  if (input.mode === 'transaction') return rehearseSteps(input);
  await acquireLock(driver, { runId: context.runId, host: context.host, pid: context.pid, actor: context.actor }, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  try {
    return await rehearseSteps(input);
  } finally {
    await driver.unlock().catch(() => undefined);
  }
}

async function rehearseSteps(input: RehearseInput): Promise<RehearsalReport> {
  const { driver } = input;
  const { rows } = await readHistory(driver);
  const plan = planUp(input.migrations, rows, { policy: input.policy });
  const applied: string[] = [];
  const roundTrips: string[] = [];
  const withoutDown: string[] = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  const problems: Problem[] = [];
  if (plan.steps.length === 0) return { applied, roundTrips, withoutDown, skipped, problems };
  await driver.prepareMetadata(METADATA_FORMAT);
  const deps: StepDeps = {
    driver, chain: createAuditChain(driver, await driver.readAuditHead()), context: input.context, emit: input.emit, signal: input.signal,
    batch: nextBatch(rows), lockRetries: 0, fault: undefined, sleep: async () => undefined,
  };
  for (const [index, step] of plan.steps.entries()) {
    if (input.mode === 'transaction' && !runsInTransaction(step, driver.capabilities)) {
      const reason = `${step.migration.id} runs outside a transaction (a statement such as CREATE INDEX CONCURRENTLY, or -- migrate:transaction off), so it cannot be rehearsed inside one that is rolled back`;
      skipped.push({ id: step.migration.id, reason }, ...plan.steps.slice(index + 1).map((later) => ({ id: later.migration.id, reason: `comes after ${step.migration.id}, which could not be rehearsed` })));
      break;
    }
    const before = await driver.schemaSnapshot();
    if (!(await attempt(() => executeStep(step, deps), step, `${step.migration.id} (${step.script.file})`, problems, input.mode))) break;
    applied.push(step.migration.id);
    if (!input.roundTrip.has(step.migration.id) || step.action !== 'apply') continue;
    const { migration } = step;
    if (migration.down === undefined || migration.directives.irreversible) {
      withoutDown.push(migration.id);
      continue;
    }
    const after = await driver.schemaSnapshot();
    const revert: PlanStep = { migration, action: 'revert', script: migration.down };
    if (!(await attempt(() => executeStep(revert, deps), revert, `the down of ${migration.id} (${migration.down.file})`, problems, input.mode))) break;
    const reverted = diffSnapshots(before, await driver.schemaSnapshot());
    if (!sameSchema(reverted)) {
      problems.push(mismatch(migration, `the down of ${migration.id} does not restore the schema it started from`, reverted, migration.down.file,
        `Make the down undo exactly what the up does ("-" lines are what the up removed or changed and the down did not put back, "+" lines what it left behind), or mark the migration "-- migrate:irreversible".`));
      break;
    }
    if (!(await attempt(() => executeStep(step, deps), step, `${migration.id} applied again after its down`, problems, input.mode))) break;
    const again = diffSnapshots(after, await driver.schemaSnapshot());
    if (!sameSchema(again)) {
      problems.push(mismatch(migration, `${migration.id} applied again after its down gives another schema than the first time`, again, migration.file,
        'The down leaves something behind that changes what the up does the second time: make the down undo the up exactly.'));
      break;
    }
    roundTrips.push(migration.id);
  }
  return { applied, roundTrips, withoutDown, skipped, problems };
}

async function attempt(work: () => Promise<unknown>, step: PlanStep, what: string, problems: Problem[], mode: RehearsalMode): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    if (error instanceof MigratorError && error.code === 'E_INTERRUPTED') throw error;
    problems.push(failure(step, what, error, mode));
    return false;
  }
}

function nextBatch(rows: ReadonlyArray<HistoryRow>): number {
  return rows.reduce((max, row) => Math.max(max, row.batch), 0) + 1;
}
