/**
 * Schema snapshots: one normalised line per object of the application schema (a table with its
 * columns, an index, a constraint, a view, a routine, a trigger, a type), sorted, as the drivers
 * read them. The digest identifies a schema; the line diff says what changed between two.
 */
import { createHash } from 'node:crypto';

/** The digest of a snapshot: equal digests mean equal schemas. */
export function snapshotDigest(lines: ReadonlyArray<string>): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export interface SnapshotDiff {
  /** Lines in `after` only: objects created, or the new form of objects changed. */
  readonly added: ReadonlyArray<string>;
  /** Lines in `before` only: objects dropped, or the old form of objects changed. */
  readonly removed: ReadonlyArray<string>;
}

/** The lines each snapshot has that the other does not (as multisets), in sorted order. */
export function diffSnapshots(before: ReadonlyArray<string>, after: ReadonlyArray<string>): SnapshotDiff {
  const counts = new Map<string, number>();
  for (const line of before) counts.set(line, (counts.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else added.push(line);
  }
  const removed = [...counts].flatMap(([line, n]) => Array.from({ length: n }, () => line));
  return { added: added.sort(), removed: removed.sort() };
}

/** Whether a diff is empty. */
export function sameSchema(diff: SnapshotDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0;
}
