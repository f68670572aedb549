/**
 * The `advisory` lock strategy: a session-level pg_try_advisory_lock on a key derived from the
 * database, schema and history table, so two schemas of one database migrate independently.
 */
import { createHash } from 'node:crypto';
import type { LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { MigratorError } from '../../core/errors.js';
import { lockLostError, raiseUnless } from './run-lock.js';
import type { RunLock } from './run-lock.js';
import { backendSession } from './backend.js';
import { truncateName } from './session.js';
import type { PgSession } from './session.js';

/** The advisory lock key: the first 8 bytes of sha256(`migrator:<database>.<schema>.migrator_history`), signed. */
export function advisoryKey(database: string, schema: string): bigint {
  return createHash('sha256').update(`migrator:${database}.${schema}.migrator_history`).digest().readBigInt64BE(0);
}

/**
 * Whether two `SELECT pg_backend_pid()` run in separate implicit transactions saw different
 * backends: a transaction-pooling proxy (PgBouncer pool_mode=transaction) moves the session between
 * server connections, so a session advisory lock would be held by a connection migrator no longer
 * uses. Returns the E_CONFIG error to throw, `undefined` when the session is pinned to one backend.
 */
export function transactionPoolingError(firstPid: number, secondPid: number): MigratorError | undefined {
  if (firstPid === secondPid) return undefined;
  return new MigratorError('E_CONFIG', `PgBouncer (or another transaction-pooling proxy) is between migrator and PostgreSQL: session advisory locks do not work through transaction pooling (two queries ran on backends ${firstPid} and ${secondPid})`, {
    hint: 'Connect directly to PostgreSQL, or set lock.strategy: table',
    details: { backendPids: [firstPid, secondPid] },
  });
}

/** What migrator puts in application_name: `migrator <version> <host> <pid>`, and the run id while it holds the lock. */
const OUR_NAME = /^migrator \S+ (\S+) (\d+)(?: (\S+))?$/;

interface HolderRow {
  readonly pid: number;
  readonly usename: string | null;
  readonly application_name: string | null;
  readonly client_addr: string | null;
  readonly since: Date | null;
}

/** Who holds the lock, from pg_stat_activity: host and pid of the migrator process when it is ours. */
export function holderFromActivity(row: HolderRow): LockHolderInfo {
  const ours = OUR_NAME.exec(row.application_name ?? '');
  const host = ours?.[1] ?? row.client_addr ?? undefined;
  const owner = ours?.[3];
  return {
    ...(owner === undefined ? {} : { owner }),
    ...(host === undefined ? {} : { host }),
    pid: ours?.[2] === undefined ? row.pid : Number(ours[2]),
    ...(row.usename === null ? {} : { user: row.usename }),
    ...(row.since === null ? {} : { since: row.since.toISOString() }),
  };
}

// pg_locks shows a bigint advisory key as classid = high 32 bits, objid = low 32 bits (both
// unsigned oids) and objsubid = 1 (2 is the two-int4 form).
const ourLock = (classid: string, objid: string): string => `l.locktype = 'advisory' AND l.classid = ${classid}::oid AND l.objid = ${objid}::oid AND l.objsubid = 1 AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
const OUR_LOCK = ourLock('$1', '$2');

const RELEASED = 'PostgreSQL no longer lists the advisory lock of this session: a statement released it (pg_advisory_unlock_all, DISCARD ALL) while the run held it';

interface AdvisoryRow {
  readonly pid: number;
  readonly usename: string | null;
  readonly application_name: string | null;
  readonly client_addr: string | null;
  readonly client_port: number | null;
  readonly backend_start: Date | null;
  readonly since: Date | null;
  readonly state: string | null;
}

const ADVISORY_REASON = 'a PostgreSQL advisory lock belongs to the session that took it: no other session can release it, and it ends with that session';

/**
 * Who holds the advisory lock `key` (`parts`: its pg_locks classid and objid). The holder's
 * pg_stat_activity columns are NULL for a user without pg_read_all_stats: then only the pid is known.
 */
async function inspectAdvisory(session: PgSession, key: string, parts: readonly [string, string]): Promise<LockInspection> {
  const resource = `advisory lock ${key}`;
  // LEFT JOIN: pg_locks names the backend even where pg_stat_activity hides the rest.
  const { rows } = await session.query<AdvisoryRow>(`SELECT l.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr,
      a.client_port, a.backend_start, COALESCE(a.backend_start, a.query_start) AS since, a.state
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE ${OUR_LOCK} LIMIT 1`, parts);
  const row = rows[0];
  if (row === undefined) return { strategy: 'advisory', resource, state: 'free' };
  return {
    strategy: 'advisory',
    resource,
    state: 'held',
    holder: holderFromActivity(row),
    session: backendSession(row.pid, row),
    releasable: false,
    reason: ADVISORY_REASON,
  };
}

class AdvisoryLock implements RunLock {
  private held = false;
  private readonly key: string;
  private readonly parts: readonly [string, string];
  readonly lost = false;

  constructor(
    private readonly session: PgSession,
    private readonly applicationName: string,
  ) {
    const key = advisoryKey(session.database, session.schema ?? '');
    const unsigned = BigInt.asUintN(64, key);
    this.key = key.toString();
    this.parts = [(unsigned >> 32n).toString(), (unsigned & 0xffffffffn).toString()];
  }

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    // pg_try_advisory_lock stacks: taking it twice would need two unlocks, so re-entry is local.
    if (this.held) return { acquired: true };
    const { rows } = await this.session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.key]);
    if (rows[0]?.locked !== true) return { acquired: false, holder: await this.holder() };
    this.held = true;
    // The run id in application_name lets other runs (and operators in pg_stat_activity) name the
    // holder; it is left out when it does not fit the 63 bytes, rather than shown truncated.
    const named = `${truncateName(this.applicationName)} ${owner.runId}`;
    if (truncateName(named) === named && !/\s/.test(owner.runId)) await this.rename(named);
    return { acquired: true };
  }

  async assertHeld(): Promise<void> {
    if (!this.held) throw lockLostError('this session does not hold the migration lock');
    const { rows } = await this.session.query<{ held: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE ${OUR_LOCK} AND l.pid = pg_backend_pid()) AS held`, this.parts);
    if (rows[0]?.held !== true) throw lockLostError(RELEASED);
  }

  checkStatement(): string {
    if (!this.held) throw lockLostError('this session does not hold the migration lock');
    // The parts are decimal digits (see the constructor): safe to inline where DO takes no parameters.
    return raiseUnless('', `EXISTS (SELECT 1 FROM pg_locks l WHERE ${ourLock(...this.parts)} AND l.pid = pg_backend_pid())`, RELEASED);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const { rows } = await this.session.query<{ unlocked: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS unlocked', [this.key]);
    await this.rename(truncateName(this.applicationName));
    // false (with a WARNING) when the session did not hold it: someone else may have run meanwhile.
    if (rows[0]?.unlocked !== true) {
      throw lockLostError('PostgreSQL says this session did not hold the advisory lock when releasing it: it was released early, so another run may have migrated meanwhile');
    }
  }

  async fenced(write: () => Promise<void>): Promise<void> {
    // A session lock cannot move to another session while held: assertLock before commit suffices.
    await write();
  }

  async stop(): Promise<void> {}

  inspect(): Promise<LockInspection> {
    return inspectAdvisory(this.session, this.key, this.parts);
  }

  async takeOver(): Promise<boolean> {
    throw new MigratorError('E_NOT_SUPPORTED', 'a PostgreSQL advisory lock cannot be released from another session: it ends with the session that holds it', {
      hint: 'End the holder\'s session with SELECT pg_terminate_backend(<pid>) ("migrate unlock" names the pid).',
    });
  }

  private async rename(name: string): Promise<void> {
    await this.session.query(`SELECT set_config('application_name', $1, false)`, [name]);
  }

  private async holder(): Promise<LockHolderInfo | undefined> {
    const { rows } = await this.session.query<HolderRow>(`SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr,
        COALESCE(a.backend_start, a.query_start) AS since
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${OUR_LOCK} AND l.pid <> pg_backend_pid() LIMIT 1`, this.parts);
    return rows[0] === undefined ? undefined : holderFromActivity(rows[0]);
  }
}

/** Creates the advisory lock of `session` (its database and schema fix the key). */
export function createAdvisoryLock(session: PgSession, applicationName: string): RunLock {
  return new AdvisoryLock(session, applicationName);
}
