/**
 * `Driver.inspectLock` of the MySQL driver, for both strategies. Plain reads, never a locking read:
 * a holder's open transaction locks the lease row, and InnoDB's consistent read still shows the
 * last committed version. Nothing is created, so read-only sessions can inspect.
 */
import type { LockHolderInfo } from '../../core/events.js';
import type { LeaseConnection, LockInspection, LockSession } from '../../core/ports.js';
import { existingTables, TABLES } from './metadata.js';
import type { MysqlSession } from './session.js';
import { SERVER_NOW_MS } from './lock.js';
import { holderOf, leaseStateOf, type LeaseColumns } from '../shared/lease-holder.js';

const LEASE_RESOURCE = `${TABLES.lock} row 1`;

/**
 * The lease row's column naming the server its `connection_id` lives on (added in 0.1.0; older
 * tables lack it): connection ids are per server, and on Galera each node numbers its own.
 */
export const SERVER_COLUMN = 'connection_server';

/** SQL: the server this session is connected to, as SERVER_COLUMN records it. */
export const THIS_SERVER = "CONCAT(@@hostname, ':', @@port)";

/** What the lease row says of its holder's connection (`SELECT *` of it). */
export interface ConnectionColumns {
  readonly connection_id?: number | string | null;
  readonly connection_server?: string | null;
}

/** Whether migrator_lock has SERVER_COLUMN (false when the table does not exist). */
export async function hasServerColumn(session: MysqlSession): Promise<boolean> {
  return Number(await session.value(`SELECT COUNT(*) FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, [TABLES.lock, SERVER_COLUMN])) > 0;
}

/**
 * The lease holder's connection as `session` sees it. `busy` when information_schema.PROCESSLIST
 * shows it doing anything but Sleep. `unknown` when the row names no connection, or one on another
 * server (Galera node), when PROCESSLIST does not show it (closed, or another user's connection
 * without the PROCESS privilege), or when its program_name (performance_schema, where on) is not
 * migrator's: behind a multiplexing proxy the recorded server connection serves other clients too.
 */
export async function holderConnection(session: MysqlSession, row: ConnectionColumns): Promise<LeaseConnection> {
  if (row.connection_id === null || row.connection_id === undefined || row.connection_server === null || row.connection_server === undefined) return { status: 'unknown' };
  if (await session.value(`SELECT ${THIS_SERVER}`) !== row.connection_server) return { status: 'unknown' };
  const { process, program, session: described } = await connectionOf(session, Number(row.connection_id));
  if (process === undefined) return { status: 'unknown' };
  if (typeof program === 'string' && !program.startsWith('migrator ')) return { status: 'unknown' };
  return { status: process.command === 'Sleep' ? 'idle' : 'busy', session: described };
}

/**
 * Connection `id` as the server shows it (PROCESSLIST, and the client's program_name where
 * performance_schema has it), described with the statement that ends it. Fields this user may not
 * see are undefined.
 */
async function connectionOf(session: MysqlSession, id: number): Promise<{ readonly process: ProcessRow | undefined; readonly program: unknown; readonly session: LockSession }> {
  const [process] = await optional(() => session.rows<ProcessRow>(`SELECT USER AS user, HOST AS host, COMMAND AS command, STATE AS state, TIME AS time
    FROM information_schema.PROCESSLIST WHERE ID = ?`, [id])) ?? [];
  const program = await optional(() => session.value(`SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs
    WHERE PROCESSLIST_ID = ? AND ATTR_NAME = 'program_name'`, [id]));
  const state = [process?.command, process?.state].filter((part) => typeof part === 'string' && part !== '').join(': ');
  return {
    process,
    program,
    session: {
      id,
      applicationName: typeof program === 'string' ? program : undefined,
      client: process?.host ?? undefined,
      state: state === '' ? undefined : state,
      terminate: `KILL ${id}`,
    },
  };
}

/**
 * Who holds the lease row, and whether the holder's connection is still busy. Expiry is judged by
 * the server's clock, as `tryLock` judges it; the holder's pid is probed when it ran in `scope`
 * (this process's host and pid namespace).
 */
export async function inspectLease(session: MysqlSession, scope: string): Promise<LockInspection> {
  const free = { strategy: 'lease', resource: LEASE_RESOURCE, state: 'free' } as const;
  if (!(await existingTables(session, [TABLES.lock])).has(TABLES.lock)) return free;
  // SELECT *: connection_server is there only where the table has it.
  const [row] = await session.rows<LeaseColumns & ConnectionColumns & { readonly expires_at: number | null; readonly now: number }>(
    `SELECT *, ${SERVER_NOW_MS} AS now FROM ${TABLES.lock} WHERE id = 1`);
  const holder = holderOf(row);
  if (row === undefined || row.run_id === null || holder === undefined) return free;
  const expired = row.expires_at === null || Number(row.expires_at) < Number(row.now);
  const lease = { ...leaseStateOf({ ...row, run_id: row.run_id }, expired, scope), connection: await holderConnection(session, row) };
  return { strategy: 'lease', resource: LEASE_RESOURCE, state: 'held', holder, lease, releasable: true };
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
  const holder = await describe();
  const { process, session: described } = await connectionOf(session, Number(used));
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
