/** Renders a drift report (`migrate verify`, and the `drift` field of `validate --json`). */
import { diffLines, type DriftReport } from '../../core/drift.js';
import type { HistoryRow } from '../../core/model.js';
import type { RecordedSchema } from '../../core/ports.js';
import type { Output } from '../io.js';

/** What verify knows besides the report, for its notes. */
export interface DriftContext {
  readonly history: ReadonlyArray<HistoryRow>;
  /** Pending migrations, `undefined` when the files could not be read. */
  readonly pending: number | undefined;
  readonly toolVersion: string;
}

/** The recorded snapshot without its lines, as the JSON documents show it. */
export function recordedJson(recorded: RecordedSchema | undefined): unknown {
  if (recorded === undefined) return null;
  const { at, runId, version, fingerprint, toolVersion, lines } = recorded;
  return { at, runId, version, fingerprint, toolVersion, objects: lines.length };
}

/** The `drift` value of the JSON documents: `null` when nothing was recorded to compare with. */
export function driftJson(report: DriftReport): unknown {
  return report.diff === undefined ? null : { added: report.diff.added, removed: report.diff.removed };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Sentences that qualify the comparison: no record, runs the record missed, unsettled or pending migrations. */
export function driftNotes(report: DriftReport, context: DriftContext): string[] {
  const { recorded } = report;
  if (recorded === undefined) {
    return ['No schema snapshot is recorded for this database: it was last migrated by a migrator without drift checks, or never. The next "migrate up" that applies a migration records one; "migrate verify --accept" records the schema as it is now.'];
  }
  const notes: string[] = [];
  if (report.unrecordedRuns.length > 0) {
    notes.push(`History shows ${plural(report.unrecordedRuns.length, 'migration')} (${report.unrecordedRuns.join(', ')}) written after the snapshot by other runs (their recording failed, or an older migrator ran them): their changes are part of the diff.`);
  }
  const unsettled = context.history.filter((row) => row.state === 'failed' || row.state === 'in_progress');
  if (unsettled.length > 0) {
    notes.push(`${unsettled.map((row) => `Version ${row.version} is ${row.state === 'failed' ? 'failed' : 'in progress'}`).join('; ')}: the snapshot holds what the tool's run left, partial changes included; what was done by hand since shows as drift until "migrate repair" settles it (which records the schema again).`);
  }
  if (context.pending !== undefined && context.pending > 0) {
    notes.push(`${plural(context.pending, 'migration')} pending: not part of the comparison, which is with the schema recorded after the last run.`);
  }
  if (report.drifted && recorded.toolVersion !== context.toolVersion) {
    notes.push(`The snapshot was recorded by migrator ${recorded.toolVersion} (this is ${context.toolVersion}): if that release read schemas differently, lines may differ that nobody changed.`);
  }
  return notes;
}

function describeRecord(recorded: RecordedSchema): string {
  return `recorded at ${recorded.at} by run ${recorded.runId} (version ${recorded.version ?? 'none'})`;
}

/** Human output of `migrate verify`: OK, the diff, or why there is nothing to compare with. */
export function renderDrift(report: DriftReport, target: string, notes: ReadonlyArray<string>, output: Output): void {
  const { recorded, diff } = report;
  if (recorded === undefined || diff === undefined) {
    output.line(`Nothing to compare: no schema snapshot recorded for ${target}.`);
  } else if (!report.drifted) {
    output.line(`OK: the schema of ${target} matches the snapshot ${describeRecord(recorded)} (${plural(report.live.objects, 'line')}).`);
  } else {
    const lines = diffLines(diff);
    output.line(`Schema drift on ${target}: ${plural(lines.length, 'line')} ${lines.length === 1 ? 'differs' : 'differ'} from the snapshot ${describeRecord(recorded)}.`);
    output.line('  (+ only in the live schema: created outside migrator, or the new form of a changed object; - only in the snapshot: dropped, or the old form)');
    for (const line of lines) output.line(`  ${line}`);
  }
  for (const note of notes) output.line(`Note: ${note}`);
}
