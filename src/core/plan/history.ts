/** Reading the history table as the planner needs it: one current row per migration id. */
import type { HistoryRow, Migration, Version } from '../model.js';
import { compareVersionIds, compareVersions, parseVersion } from '../version.js';

/** A history row and where it stood in the history as read (0-based), for stable ordering. */
export interface RecordedRow {
  readonly row: HistoryRow;
  readonly position: number;
}

/**
 * The row that decides each id's state: the one with the highest batch, and among equal batches
 * the later one in `history` (history is expected oldest first, but any order of batches works).
 */
export function currentRows(history: ReadonlyArray<HistoryRow>): Map<string, RecordedRow> {
  const rows = new Map<string, RecordedRow>();
  history.forEach((row, position) => {
    const seen = rows.get(row.version);
    if (seen === undefined || row.batch >= seen.row.batch) rows.set(row.version, { row, position });
  });
  return rows;
}

/** Orders recorded rows as they were applied: by batch, then by position in history. */
export function compareRecorded(a: RecordedRow, b: RecordedRow): number {
  return a.row.batch - b.row.batch || a.position - b.position;
}

/**
 * The highest version id among `applied` rows (baseline included, repeatables never), skipping
 * ids in `except`; `null` when there is none.
 */
export function highestApplied(rows: Iterable<RecordedRow>, except: ReadonlySet<string> = new Set()): string | null {
  // Each row's version is parsed once, not once per comparison: history may hold 100,000 rows.
  let highest: Version | undefined;
  for (const { row } of rows) {
    if (row.state !== 'applied' || except.has(row.version)) continue;
    const version = parseVersion(row.version);
    if (version !== undefined && (highest === undefined || compareVersions(version, highest) > 0)) highest = version;
  }
  return highest === undefined ? null : highest.raw;
}

/** The canonical id of the highest version among `migrations`; `null` when none has a version. */
export function highestVersion(migrations: Iterable<Migration>): string | null {
  let top: Version | undefined;
  for (const m of migrations) {
    if (m.version !== undefined && (top === undefined || compareVersions(m.version, top) > 0)) top = m.version;
  }
  return top === undefined ? null : top.canonical;
}

/** The highest of two version ids, either possibly absent. */
export function maxVersionId(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareVersionIds(a, b) >= 0 ? a : b;
}

/**
 * Merges `loose` (sorted by version) into `sequence`: each loose item goes just before the first
 * item of the sequence with a higher version id, the rest at the end. Places history-only rows
 * among migrations ordered otherwise (by plan or history order).
 */
export function mergeByVersion<T>(sequence: ReadonlyArray<T>, loose: ReadonlyArray<T>, idOf: (item: T) => string): T[] {
  const out: T[] = [];
  let next = 0;
  for (const item of sequence) {
    for (; next < loose.length && compareVersionIds(idOf(loose[next] as T), idOf(item)) < 0; next++) {
      out.push(loose[next] as T);
    }
    out.push(item);
  }
  for (; next < loose.length; next++) out.push(loose[next] as T);
  return out;
}
