/**
 * `Driver.inspectLock` of the PostgreSQL `table` strategy, and the check that a lease holder's own
 * connection is still busy. Plain reads: MVCC shows the last committed lease row even while a
 * holder's transaction locks it. Nothing is created, so read-only sessions can inspect. (The
 * advisory lock's inspection is in advisory.ts.)
 */
import type { LeaseConnection, LockInspection } from '../../core/ports.js';
import { backendSession } from './backend.js';
import { TABLES } from './metadata.js';
import type { PgSession } from './session.js';
import { holderOf, leaseStateOf, type LeaseColumns } from '../shared/lease-holder.js';

/** The lease row's column naming the holder's backend (added in 0.1.0; older rows lack it). */
export const BACKEND_COLUMN = 'backend_pid';

/**
 * SQL: whether the holder's backend, as the lease row `l` records it, is still busy: running a
 * statement or inside a transaction. The same backend (it started before the lease was taken: a
 * reused pid started later) with migrator's application_name (behind a pooler the recorded server
 * connection serves other clients too, under their names). Columns another role's session hides
 * (state, backend_start, without pg_read_all_stats) read NULL: not busy, as before this check.
 */
export const HOLDER_BUSY = `EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.${BACKEND_COLUMN}
  AND a.backend_start <= l.acquired_at AND a.application_name LIKE 'migrator %'
  AND a.state IN ('active', 'idle in transaction', 'idle in transaction (aborted)', 'fastpath function call'))`;

/** Whether `table` (quoted, qualified) has the backend column; false when the table does not exist. */
export async function hasBackendColumn(session: PgSession, table: string): Promise<boolean> {
  const { rows: [row] } = await session.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS found`, [table, BACKEND_COLUMN]);
  return row?.found === true;
}

interface InspectRow extends LeaseColumns {
  readonly expired: boolean;
  readonly backend_pid: number | null;
  readonly busy: boolean;
  readonly session_pid: number | null;
  readonly same_backend: boolean | null;
  readonly state: string | null;
  readonly application_name: string | null;
  readonly client_addr: string | null;
  readonly client_port: number | null;
  readonly backend_start: Date | null;
}

/** The holder's connection, from the lease row joined with pg_stat_activity. */
function connectionOf(row: InspectRow): LeaseConnection {
  if (row.backend_pid === null) return { status: 'unknown' };
  if (row.session_pid === null || row.same_backend === false) return { status: 'closed' };
  const session = backendSession(row.backend_pid, row);
  if (row.busy) return { status: 'busy', session };
  const ours = row.same_backend === true && (row.application_name ?? '').startsWith('migrator ');
  return ours && row.state === 'idle' ? { status: 'idle', session } : { status: 'unknown' };
}

/**
 * Who holds the lease row, and whether the holder's connection is still busy. Expiry is judged by
 * the server's clock, as `tryLock` judges it. This lease records no pid scope (a holder is taken
 * over by expiry only), so its process is `unknown`.
 */
export async function inspectLease(session: PgSession): Promise<LockInspection> {
  const table = session.table(TABLES.lock);
  const resource = `${TABLES.lock} row 1`;
  const { rows: [exists] } = await session.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  if (exists?.found !== true) return { strategy: 'lease', resource, state: 'free' };
  const backend = await hasBackendColumn(session, table)
    ? `l.${BACKEND_COLUMN} AS backend_pid, ${HOLDER_BUSY} AS busy, a.pid AS session_pid, a.backend_start <= l.acquired_at AS same_backend,
        a.state, a.application_name, host(a.client_addr) AS client_addr, a.client_port, a.backend_start
      FROM ${table} l LEFT JOIN pg_stat_activity a ON a.pid = l.${BACKEND_COLUMN}`
    : `NULL::integer AS backend_pid, false AS busy FROM ${table} l`;
  const { rows: [row] } = await session.query<InspectRow>(`SELECT l.run_id, l.actor, l.host, l.pid, l.acquired_at, l.heartbeat_at,
      l.expires_at, l.generation::text AS generation, (l.expires_at IS NULL OR l.expires_at < clock_timestamp()) AS expired, ${backend}
    WHERE l.id = 1`);
  const holder = holderOf(row);
  if (row === undefined || row.run_id === null || holder === undefined) return { strategy: 'lease', resource, state: 'free' };
  const lease = { ...leaseStateOf({ ...row, run_id: row.run_id }, row.expired, undefined), connection: connectionOf(row) };
  return { strategy: 'lease', resource, state: 'held', holder, lease, releasable: true };
}
