/**
 * `Driver.inspectLock` of the MySQL driver, for both strategies. Plain reads, never a locking read:
 * a holder's open transaction locks the lease row, and InnoDB's consistent read still shows the
 * last committed version. Nothing is created, so read-only sessions can inspect.
 */
import type { LockHolderInfo } from '../../core/events.js';
import type { LockInspection, LockSession } from '../../core/ports.js';
import { existingTables, TABLES } from './metadata.js';
import type { MysqlSession } from './session.js';
import { SERVER_NOW_MS } from './lock.js';
import { holderOf, leaseStateOf, type LeaseColumns } from '../shared/lease-holder.js';

const LEASE_RESOURCE = `${TABLES.lock} row 1`;

/**
 * Who holds the lease row. Expiry is judged by the server's clock, as `tryLock` judges it; the
 * holder's pid is probed when it ran in `scope` (this process's host and pid namespace).
 */
export async function inspectLease(session: MysqlSession, scope: string): Promise<LockInspection> {
  const free = { strategy: 'lease', resource: LEASE_RESOURCE, state: 'free' } as const;
  if (!(await existingTables(session, [TABLES.lock])).has(TABLES.lock)) return free;
  const [row] = await session.rows<LeaseColumns & { readonly expires_at: number | null; readonly now: number }>(
    `SELECT run_id, actor, host, pid, pid_scope, acquired_at, heartbeat_at, expires_at, generation, ${SERVER_NOW_MS} AS now
      FROM ${TABLES.lock} WHERE id = 1`);
  const holder = holderOf(row);
  if (row === undefined || row.run_id === null || holder === undefined) return free;
  const expired = row.expires_at === null || Number(row.expires_at) < Number(row.now);
  return { strategy: 'lease', resource: LEASE_RESOURCE, state: 'held', holder, lease: leaseStateOf({ ...row, run_id: row.run_id }, expired, scope), releasable: true };
}

interface ProcessRow {
  readonly user: string | null;
  readonly host: string | null;
  readonly command: string | null;
  readonly state: string | null;
  readonly time: number | null;
}

/** Each source may be missing (privileges, performance_schema off): best effort. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/**
 * Who holds the GET_LOCK lock `name`: the connection IS_USED_LOCK names, described by `describe`
 * (the advisory lock's own holder lookup) and information_schema.PROCESSLIST, which shows other
 * users' sessions only with the PROCESS privilege.
 */
export async function inspectAdvisory(session: MysqlSession, name: string, describe: () => Promise<LockHolderInfo | undefined>): Promise<LockInspection> {
  const resource = `GET_LOCK('${name}')`;
  const used = await session.value('SELECT IS_USED_LOCK(?)', [name]);
  if (used === null || used === undefined) return { strategy: 'advisory', resource, state: 'free' };
  const id = Number(used);
  const holder = await describe();
  const [process] = await optional(() => session.rows<ProcessRow>(`SELECT USER AS user, HOST AS host, COMMAND AS command, STATE AS state, TIME AS time
    FROM information_schema.PROCESSLIST WHERE ID = ?`, [id])) ?? [];
  const program = await optional(() => session.value(`SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs
    WHERE PROCESSLIST_ID = ? AND ATTR_NAME = 'program_name'`, [id]));
  const state = [process?.command, process?.state].filter((part) => typeof part === 'string' && part !== '').join(': ');
  const described: LockSession = {
    id,
    applicationName: typeof program === 'string' ? program : undefined,
    client: process?.host ?? undefined,
    state: state === '' ? undefined : state,
    terminate: `KILL ${id}`,
  };
  return {
    strategy: 'advisory',
    resource,
    state: 'held',
    holder: holder ?? { ...(process?.user == null ? {} : { user: process.user }) },
    session: described,
    releasable: false,
    reason: 'a GET_LOCK lock belongs to the connection that took it: no other connection can release it, and it ends with that connection',
  };
}
