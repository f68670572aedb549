/**
 * `migrate repair`: the operator tells migrator what the database really is, after checking it by
 * hand. It never runs migration SQL. It realigns the recorded checksums of applied migrations with
 * the files, or settles one failed/in-progress row as applied or rolled back. Every change is an
 * audit row; the history row keeps its place.
 */
import { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { HistoryRow, Migration, RunContext } from '../model.js';
import type { Driver } from '../ports.js';
import { canonicalRef } from '../version.js';
import { createAuditChain } from './audit.js';
import { METADATA_FORMAT, readHistory } from './executor.js';
import { takeRunLock } from './run-lock.js';
import { auditEntry } from './records.js';
import { takeSchemaRecord } from './schema-record.js';
import { inLockedTransaction } from './locked-transaction.js';

export interface RepairInput {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly lockTimeoutMs: number;
  readonly migrations: ReadonlyArray<Migration>;
  /** Settle this failed or in-progress row; without it, checksums are realigned. */
  readonly mark?: { readonly version: string; readonly as: 'applied' | 'rolled_back' } | undefined;
  /** Realign only this version's checksum (`repair --version V`); all drifted ones when absent. */
  readonly only?: string | undefined;
}

export interface RepairChange {
  readonly version: string;
  readonly change: 'checksum' | 'applied' | 'rolled_back';
  readonly from: string;
  readonly to: string;
}

/** The row that decides each version's state: the last one written (rows come in write order). */
function currentRows(rows: ReadonlyArray<HistoryRow>): Map<string, HistoryRow> {
  return new Map(rows.map((row) => [row.version, row]));
}

function planMark(rows: Map<string, HistoryRow>, files: Map<string, Migration>, mark: NonNullable<RepairInput['mark']>, context: RunContext): { row: HistoryRow; change: RepairChange } {
  const version = canonicalRef(mark.version) ?? mark.version;
  const row = rows.get(version);
  if (!row || (row.state !== 'failed' && row.state !== 'in_progress')) {
    throw new MigratorError('E_UNKNOWN_TARGET', `version ${version} has no failed or in-progress row to settle${row ? ` (it is ${row.state})` : ''}`, {
      hint: 'Run "migrate status" to see which migration failed; repair --version settles only failed or in-progress rows.',
    });
  }
  const file = files.get(version);
  const applied = mark.as === 'applied';
  const settled: HistoryRow = {
    ...row,
    state: mark.as,
    checksum: applied && file ? file.checksum : row.checksum,
    downChecksum: applied && file ? (file.downChecksum ?? null) : row.downChecksum,
    statementsApplied: applied ? row.statementsTotal : row.statementsApplied,
    error: JSON.stringify({ repairedFrom: row.state, previousError: row.error, by: context.actor }),
    appliedBy: context.actor,
    appliedAt: context.now().toISOString(),
    runId: context.runId,
  };
  return { row: settled, change: { version, change: mark.as, from: row.state, to: mark.as } };
}

function planRealign(rows: Map<string, HistoryRow>, files: Map<string, Migration>, only: string | undefined): Array<{ row: HistoryRow; change: RepairChange }> {
  const version = only === undefined ? undefined : (canonicalRef(only) ?? only);
  if (version !== undefined && rows.get(version)?.state !== 'applied') {
    throw new MigratorError('E_UNKNOWN_TARGET', `version ${version} is not applied: there is no checksum of it to realign`, {
      hint: 'Run "migrate status" to see the applied versions; a failed one is settled with --as applied|rolled-back.',
    });
  }
  // Realigning every checksum waits until failed rows are settled; one named version need not.
  const stuck = version !== undefined ? [] : [...rows.values()].filter((row) => row.state === 'failed' || row.state === 'in_progress');
  if (stuck.length > 0) {
    const list = stuck.map((row) => `${row.version} (${row.state}, ${row.statementsApplied} of ${row.statementsTotal} statements)`).join(', ');
    throw new MigratorError('E_FAILED_MIGRATION', `repair needs to be told what the database is for ${list}`, {
      hint: `Check the database by hand, then run "migrate repair --version ${stuck[0]?.version} --as applied" if the migration's changes are all there, or "--as rolled-back" if none of them are.`,
    });
  }
  return [...rows.values()]
    .filter((row) => row.state === 'applied' && row.kind !== 'baseline' && row.kind !== 'repeatable' && (version === undefined || row.version === version))
    .flatMap((row) => {
      const file = files.get(row.version);
      if (!file || file.checksum === row.checksum) return [];
      return [{ row: { ...row, checksum: file.checksum, downChecksum: file.downChecksum ?? null, description: file.description, script: file.file }, change: { version: row.version, change: 'checksum' as const, from: row.checksum, to: file.checksum } }];
    });
}

/** Runs the repair under the lock; returns what changed ([] when nothing needed repair). */
export async function runRepair(input: RepairInput): Promise<ReadonlyArray<RepairChange>> {
  const { driver, context } = input;
  await takeRunLock(driver, context, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  let succeeded = false;
  try {
    const state = await readHistory(driver);
    const rows = currentRows(state.rows);
    const files = new Map(input.migrations.map((m) => [m.id, m]));
    const plan = input.mark ? [planMark(rows, files, input.mark, context)] : planRealign(rows, files, input.only);
    if (plan.length === 0) {
      succeeded = true;
      return [];
    }
    // As runPlan does before writing: puts back what is missing (and widens what must hold the snapshot).
    await driver.prepareMetadata(METADATA_FORMAT);
    const chain = createAuditChain(driver, await driver.readAuditHead());
    await inLockedTransaction(driver, async () => {
      for (const { row, change } of plan) {
        await driver.writeHistory(row);
        // The operator decided what the database is: a ctx.batch job's checkpoints no longer apply.
        await driver.clearCheckpoints(row.version);
        await chain.append(auditEntry(context, { event: 'repair', outcome: 'success', version: change.version, checksum: row.checksum, detail: { ...change } }));
      }
      // The operator has accepted the database as it is: drift checks start from it, with the
      // version the repaired history now gives (read inside this transaction).
      await driver.recordSchema(await takeSchemaRecord(driver, context));
    });
    succeeded = true;
    return plan.map((p) => p.change);
  } finally {
    // As in runPlan: after a success, an unlock the engine refuses means someone else held the lock
    // meanwhile, and says so; after a failure, the failure is what to report.
    await driver.unlock().then(
      () => input.emit({ type: 'lock.released' }),
      (error: unknown) => {
        if (succeeded) throw error;
      },
    );
  }
}
