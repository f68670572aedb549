/**
 * Live-schema drift (docs/drift.md): the live schema compared with the snapshot migrator recorded
 * when it last changed it. Shared by `migrate verify` and `validate`; pure except `readDrift`,
 * which only reads.
 */
import type { Problem } from './errors.js';
import type { HistoryRow } from './model.js';
import type { Driver, RecordedSchema } from './ports.js';
import { diffSnapshots, sameSchema, snapshotDigest, type SnapshotDiff } from './schema.js';

export interface DriftReport {
  /** The last recorded snapshot, `undefined` when none was ever recorded. */
  readonly recorded: RecordedSchema | undefined;
  /** The live schema's fingerprint and number of objects (lines). */
  readonly live: { readonly fingerprint: string; readonly objects: number };
  /** Live against recorded (`added`: only live, `removed`: only recorded); `undefined` without a record. */
  readonly diff: SnapshotDiff | undefined;
  /** Whether the live schema differs from a recorded snapshot (never without one). */
  readonly drifted: boolean;
  /**
   * Migrations the history says were written after the snapshot, by other runs: their recording
   * failed, or a migrator without drift checks ran them. Their changes show up in the diff.
   */
  readonly unrecordedRuns: ReadonlyArray<string>;
}

/** Compares a live snapshot with the recorded one; `history` finds runs the record missed. */
export function compareSchema(recorded: RecordedSchema | undefined, live: ReadonlyArray<string>, history: ReadonlyArray<HistoryRow>): DriftReport {
  const diff = recorded === undefined ? undefined : diffSnapshots(recorded.lines, live);
  const unrecordedRuns = recorded === undefined ? [] : history.filter((row) => row.runId !== recorded.runId && row.appliedAt > recorded.at).map((row) => row.version);
  return {
    recorded,
    live: { fingerprint: snapshotDigest(live), objects: live.length },
    diff,
    drifted: diff !== undefined && !sameSchema(diff),
    unrecordedRuns,
  };
}

/** Reads the recorded snapshot and the live schema on `driver` (read-only is enough) and compares them. */
export async function readDrift(driver: Driver, history: ReadonlyArray<HistoryRow>): Promise<DriftReport> {
  const recorded = await driver.readRecordedSchema();
  return compareSchema(recorded, await driver.schemaSnapshot(), history);
}

/**
 * The diff as lines for people: `+ line` for what exists only live, `- line` for what is gone or
 * was changed, in the order of the lines' text, so the old and new form of one object sit together.
 */
export function diffLines(diff: SnapshotDiff): string[] {
  const marked = [...diff.removed.map((line) => ['-', line] as const), ...diff.added.map((line) => ['+', line] as const)];
  // Stable sort: for equal text (a line both removed and added once more) '-' stays first.
  return marked.sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sign, line]) => `${sign} ${line}`);
}

/** How many diff lines a one-line message quotes by default. */
const QUOTED = 3;

/**
 * The E_SCHEMA_DRIFT problem for a drifted report (`undefined` when there is none), naming where,
 * how many lines differ and the first `quote` of them (0 when the caller prints the whole diff).
 */
export function driftProblem(report: DriftReport, where: string, quote = QUOTED): Problem | undefined {
  if (!report.drifted || report.diff === undefined || report.recorded === undefined) return undefined;
  const lines = diffLines(report.diff);
  const quoted = lines.slice(0, quote).map((line) => `"${line.length > 120 ? `${line.slice(0, 117)}...` : line}"`).join(', ');
  const more = quote === 0 ? '' : `: ${quoted}${lines.length > quote ? ` and ${lines.length - quote} more` : ''}`;
  const counts = `${lines.length} line${lines.length === 1 ? ' differs' : 's differ'} (+${report.diff.added.length} -${report.diff.removed.length})`;
  return {
    code: 'E_SCHEMA_DRIFT',
    message: `the schema of ${where} changed outside migrator since ${report.recorded.at} (run ${report.recorded.runId}): ${counts}${more}`,
    hint: `${quote === 0 ? '' : 'Run "migrate verify" for the whole diff. '}If the change is intended, capture it in a migration (written to pass where the change is already made, e.g. IF NOT EXISTS) and run it, or accept the database as it is with "migrate verify --accept" (admin, audited). Otherwise undo the change by hand.`,
    details: { recordedAt: report.recorded.at, runId: report.recorded.runId, added: report.diff.added, removed: report.diff.removed },
  };
}
