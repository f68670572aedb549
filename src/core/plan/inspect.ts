/**
 * Comparing migration files with history: the state of every migration and every problem, all
 * at once. `status` and `validate` show the {@link Inspection}; the planners build on it.
 */
import { sortProblems } from '../errors.js';
import type { Problem } from '../errors.js';
import type { HistoryRow, Migration } from '../model.js';
import { compareVersionIds, parseVersion } from '../version.js';
import { checkFiles } from './files.js';
import type { FileCheck } from './files.js';
import { compareRecorded, currentRows, highestApplied, highestVersion, mergeByVersion } from './history.js';
import type { RecordedRow } from './history.js';
import { checksumMismatch, failedMigration, missingFile, outOfOrder, unknownApplied } from './problems.js';
import type { EntryState, Inspection, Policy, StatusEntry } from './types.js';

/** An inspection plus the intermediate facts the planners reuse. Internal to plan/. */
export interface Analysis {
  readonly inspection: Inspection;
  readonly files: FileCheck;
  /** The current row of each id (see `currentRows`). */
  readonly rows: ReadonlyMap<string, RecordedRow>;
  readonly entryById: ReadonlyMap<string, StatusEntry>;
}

/** An entry and the history row that places it among the recorded ones (`undefined`: pending). */
interface Placed {
  readonly entry: StatusEntry;
  readonly key: RecordedRow | undefined;
}

interface Facts {
  readonly policy: Policy;
  readonly current: string | null;
  /** The highest applied baseline row: versions at or below it without a row count as applied. */
  readonly baseline: RecordedRow | undefined;
  readonly problems: Problem[];
}

/**
 * Inspects migration files against history. Pure and total: every problem (duplicate, missing
 * dependency, cycle, checksum mismatch, missing file, unknown applied version, failed row, out of
 * order) is reported in `problems`, never thrown. `history` is expected oldest first; when an id
 * has several rows, the one of the highest batch (then the latest) decides its state. The result
 * is frozen.
 */
export function inspect(
  migrations: ReadonlyArray<Migration>,
  history: ReadonlyArray<HistoryRow>,
  policy: Policy,
): Inspection {
  return analyse(migrations, history, policy).inspection;
}

/** {@link inspect}, keeping what the planners need. Internal to plan/. */
export function analyse(
  migrations: ReadonlyArray<Migration>,
  history: ReadonlyArray<HistoryRow>,
  policy: Policy,
): Analysis {
  const files = checkFiles(migrations);
  const rows = currentRows(history);
  const current = highestApplied(rows.values());
  const facts: Facts = { policy, current, baseline: highestBaseline(rows), problems: [...files.problems] };
  const placedFiles = files.order.map((m) => classifyFile(m, rows.get(m.id), facts));
  const highestFile = highestVersion(files.byId.values());
  const loose = [...rows.values()]
    .filter(({ row }) => !files.byId.has(row.version) && row.state !== 'rolled_back')
    .sort((a, b) => compareVersionIds(a.row.version, b.row.version))
    .map((recorded) => classifyRow(recorded, highestFile, facts));
  const entries = Object.freeze(arrange(placedFiles, loose));
  const problems = Object.freeze(sortProblems(facts.problems));
  const inspection: Inspection = Object.freeze({ entries, problems, current });
  return { inspection, files, rows, entryById: new Map(entries.map((e) => [e.id, e])) };
}

function highestBaseline(rows: ReadonlyMap<string, RecordedRow>): RecordedRow | undefined {
  let top: RecordedRow | undefined;
  for (const recorded of rows.values()) {
    const { row } = recorded;
    if (row.kind !== 'baseline' || row.state !== 'applied' || parseVersion(row.version) === undefined) continue;
    if (top === undefined || compareVersionIds(row.version, top.row.version) > 0) top = recorded;
  }
  return top;
}

function classifyFile(m: Migration, recorded: RecordedRow | undefined, facts: Facts): Placed {
  const row = recorded?.row;
  if (recorded !== undefined && row !== undefined && row.state !== 'rolled_back') {
    return { entry: makeEntry(m.id, m, row, recordedState(m, row, facts)), key: recorded };
  }
  const { baseline, current } = facts;
  const versioned = m.kind !== 'repeatable';
  if (versioned && row === undefined && baseline !== undefined && compareVersionIds(m.id, baseline.row.version) <= 0) {
    return { entry: makeEntry(m.id, m, undefined, 'applied'), key: baseline };
  }
  // A version reverted on purpose (down --version) is pending again, not a late arrival.
  if (versioned && row === undefined && current !== null && compareVersionIds(m.id, current) < 0 && !facts.policy.outOfOrder) {
    facts.problems.push(outOfOrder(m, current));
    return { entry: makeEntry(m.id, m, row, 'out_of_order'), key: undefined };
  }
  return { entry: makeEntry(m.id, m, row, 'pending'), key: undefined };
}

/** The state of a file whose current row is applied, failed or in progress. */
function recordedState(m: Migration, row: HistoryRow, facts: Facts): EntryState {
  if (row.kind === 'baseline') return 'applied';
  if (row.state === 'failed' || row.state === 'in_progress') {
    facts.problems.push(failedMigration(row, m));
    return row.state;
  }
  if (row.checksum === m.checksum) return 'applied';
  if (m.kind === 'repeatable') return 'outdated';
  facts.problems.push(checksumMismatch(m, row));
  return 'checksum_mismatch';
}

/** The state of a row no file defines (never `rolled_back`: those are just history). */
function classifyRow(recorded: RecordedRow, highestFile: string | null, facts: Facts): Placed {
  const { row } = recorded;
  const place = (state: EntryState): Placed => ({ entry: makeEntry(row.version, undefined, row, state), key: recorded });
  if (row.kind === 'baseline') return place('applied');
  if (row.state === 'failed' || row.state === 'in_progress') {
    facts.problems.push(failedMigration(row, undefined));
    return place(row.state);
  }
  // A repeatable whose file was removed is no longer maintained: shown, not a problem.
  if (parseVersion(row.version) === undefined) return place('missing_file');
  if (highestFile === null || compareVersionIds(row.version, highestFile) > 0) {
    facts.problems.push(unknownApplied(row));
    return place('unknown');
  }
  facts.problems.push(missingFile(row));
  return place('missing_file');
}

function makeEntry(id: string, m: Migration | undefined, row: HistoryRow | undefined, state: EntryState): StatusEntry {
  return Object.freeze({
    id,
    version: m === undefined ? parseVersion(id)?.canonical : m.version?.canonical,
    description: m?.description ?? row?.description ?? '',
    kind: row?.kind === 'baseline' ? 'baseline' : (m?.kind ?? row?.kind ?? 'versioned'),
    state,
    migration: m,
    history: row,
    reversible: m !== undefined && m.down !== undefined && !m.directives.irreversible,
  });
}

/**
 * Recorded file entries by batch and history order, history-only entries merged in by version,
 * then pending entries in plan order.
 */
function arrange(files: ReadonlyArray<Placed>, loose: ReadonlyArray<Placed>): StatusEntry[] {
  const recorded = files
    .filter((p) => p.key !== undefined)
    .sort((a, b) => compareRecorded(a.key as RecordedRow, b.key as RecordedRow));
  const out = mergeByVersion(recorded, loose, (p) => p.entry.id).map((p) => p.entry);
  for (const p of files) if (p.key === undefined) out.push(p.entry);
  return out;
}
