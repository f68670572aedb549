/**
 * `Driver.inspectLock` of the SQLite driver: reads the lease row without taking SQLite's write lock
 * and without creating the table, so it works on read-only sessions and while a run is migrating.
 */
import type Database from 'better-sqlite3';
import type { LockInspection } from '../../core/ports.js';
import { TABLES } from './metadata.js';
import { holderOf, leaseStateOf, type LeaseColumns } from '../shared/lease-holder.js';

const RESOURCE = `${TABLES.lock} row 1`;

/**
 * Who holds the lease. Expiry is judged by this machine's clock, as `tryLock` judges it; the
 * holder's pid is probed when it ran in `scope` (this process's host and pid namespace).
 */
export function inspectLease(db: Database.Database, scope: string): LockInspection {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLES.lock);
  if (table === undefined) return { strategy: 'lease', resource: RESOURCE, state: 'free' };
  const row = db.prepare(`SELECT * FROM ${TABLES.lock} WHERE id = 1`).get() as (LeaseColumns & { readonly expires_at: number | null }) | undefined;
  const holder = holderOf(row);
  if (row === undefined || row.run_id === null || holder === undefined) return { strategy: 'lease', resource: RESOURCE, state: 'free' };
  const expired = row.expires_at === null || row.expires_at < Date.now();
  return { strategy: 'lease', resource: RESOURCE, state: 'held', holder, lease: leaseStateOf({ ...row, run_id: row.run_id }, expired, scope), releasable: true };
}
