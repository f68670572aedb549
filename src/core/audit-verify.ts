/**
 * What `migrate audit verify` proves: that the audit rows, read in id order, form one unbroken hash
 * chain from the first row (`prev_hash` '') to the last. Pure: the rows come in pages (any size),
 * each folded into a {@link ChainWalk}; the first bad row ends the walk.
 */
import type { StoredAuditEntry } from './ports.js';
import { auditHash } from './run/audit.js';

/**
 * Why a row breaks the chain:
 * - `edited`: its hash does not match its content (a column was changed after it was written);
 * - `unlinked`: it is intact, but its prev_hash is not the hash of the row before it: a row
 *   between them was deleted, a row was inserted before it, or the row before it was rewritten.
 */
export type ChainBreakKind = 'edited' | 'unlinked';

export interface ChainBreak {
  readonly id: number;
  readonly kind: ChainBreakKind;
  /** The row before it (by id), `null` for the first row. */
  readonly previousId: number | null;
  /** What its prev_hash should be: the previous row's hash, '' for the first row. */
  readonly expectedPrevHash: string;
  readonly prevHash: string;
  /** What its hash should be, computed from its content and `expectedPrevHash`. */
  readonly expectedHash: string;
  readonly hash: string;
}

/** The state of a walk along the chain. */
export interface ChainWalk {
  /** Rows found intact so far. */
  readonly checked: number;
  /** Hash of the last intact row, '' before the first. */
  readonly head: string;
  /** Id of the last row looked at, `null` before the first: the next page starts after it. */
  readonly lastId: number | null;
  /** The first bad row, once found: the walk stops there. */
  readonly broken: ChainBreak | undefined;
  /** Anchors (heads recorded elsewhere, e.g. `auditHead` in CI logs) met as a row's hash so far. */
  readonly anchorsFound: ReadonlyArray<string>;
}

/** Where every walk starts. */
export const CHAIN_START: ChainWalk = Object.freeze({ checked: 0, head: '', lastId: null, broken: undefined, anchorsFound: [] });

/** Judges one row against the hash of the row before it; `undefined` when it is intact. */
export function checkAuditRow(row: StoredAuditEntry, previous: { readonly id: number | null; readonly hash: string }): ChainBreak | undefined {
  const expectedHash = auditHash(previous.hash, row);
  if (row.prevHash === previous.hash && row.hash === expectedHash) return undefined;
  // Intact in itself but linked elsewhere: the damage is before it. Anything else is this row's.
  const kind: ChainBreakKind = row.prevHash !== previous.hash && row.hash === auditHash(row.prevHash, row) ? 'unlinked' : 'edited';
  return { id: row.id, kind, previousId: previous.id, expectedPrevHash: previous.hash, prevHash: row.prevHash, expectedHash, hash: row.hash };
}

/**
 * Folds the next rows (in id order, following `walk.lastId`) into the walk. Stops at the first bad
 * row; a walk already broken is returned as it is. `anchors`: hashes to look for.
 */
export function walkChain(walk: ChainWalk, rows: Iterable<StoredAuditEntry>, anchors: ReadonlyArray<string> = []): ChainWalk {
  if (walk.broken) return walk;
  let { checked, head, lastId } = walk;
  const found = new Set(walk.anchorsFound);
  for (const row of rows) {
    const broken = checkAuditRow(row, { id: lastId, hash: head });
    if (broken) return { checked, head, lastId: row.id, broken, anchorsFound: [...found] };
    checked += 1;
    head = row.hash;
    lastId = row.id;
    if (anchors.includes(row.hash)) found.add(row.hash);
  }
  return { checked, head, lastId, broken: undefined, anchorsFound: [...found] };
}

/** One sentence for people: what is wrong with the row and what it means. */
export function describeBreak(broken: ChainBreak): string {
  if (broken.kind === 'edited') {
    return `audit row ${broken.id} was edited: its hash does not match its content`;
  }
  return broken.previousId === null
    ? `audit row ${broken.id} is the first row but does not start the chain: the rows before it were deleted`
    : `audit row ${broken.id} does not follow row ${broken.previousId}: a row between them was deleted, a row was inserted, or row ${broken.previousId} was rewritten`;
}
