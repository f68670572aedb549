/**
 * `Driver.inspectLock` of the PostgreSQL `table` strategy. A plain read: MVCC shows the last
 * committed lease row even while a holder's transaction locks it. Nothing is created, so read-only
 * sessions can inspect. (The advisory lock's inspection is in advisory.ts.)
 */
import type { LockInspection } from '../../core/ports.js';
import { TABLES } from './metadata.js';
import type { PgSession } from './session.js';
import { holderOf, leaseStateOf, type LeaseColumns } from '../shared/lease-holder.js';

/**
 * Who holds the lease row. Expiry is judged by the server's clock, as `tryLock` judges it. This
 * lease records no pid scope (a holder is taken over by expiry only), so its process is `unknown`.
 */
export async function inspectLease(session: PgSession): Promise<LockInspection> {
  const table = session.table(TABLES.lock);
  const resource = `${TABLES.lock} row 1`;
  const { rows: [exists] } = await session.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  if (exists?.found !== true) return { strategy: 'lease', resource, state: 'free' };
  const { rows: [row] } = await session.query<LeaseColumns & { readonly expired: boolean }>(`SELECT run_id, actor, host, pid, acquired_at, heartbeat_at,
      expires_at, generation::text AS generation, (expires_at IS NULL OR expires_at < clock_timestamp()) AS expired
    FROM ${table} WHERE id = 1`);
  const holder = holderOf(row);
  if (row === undefined || row.run_id === null || holder === undefined) return { strategy: 'lease', resource, state: 'free' };
  return { strategy: 'lease', resource, state: 'held', holder, lease: leaseStateOf({ ...row, run_id: row.run_id }, row.expired, undefined), releasable: true };
}
