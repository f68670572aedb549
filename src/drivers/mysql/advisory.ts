/**
 * The `advisory` run lock: MySQL's named lock, `GET_LOCK(name, 0)`, held by the session until it
 * is released or the connection ends (so a killed run never leaves it behind). Polled by the core
 * with a zero wait: a waiting GET_LOCK could be neither interrupted nor bounded by lock.timeout.
 */
import { createHash } from 'node:crypto';
import type { LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { LOCK_DDL, TABLES } from './metadata.js';
import type { MysqlSession } from './session.js';
import { SERVER_NOW_MS, lockLostError } from './lock.js';
import type { RunLock } from './lock.js';
import { inspectAdvisory } from './lock-inspect.js';
import { MigratorError } from '../../core/errors.js';

/**
 * The lock's name for `database`: 49 characters, within the 64 MySQL 5.7+ allows. It includes the
 * database because named locks are server-wide: two databases on one server must not block each
 * other. Hashed, because a database name may be 64 characters long on its own.
 */
export function advisoryLockName(database: string): string {
  return `migrator:${createHash('sha256').update(`${database}.${TABLES.history}`).digest('hex').slice(0, 40)}`;
}

const HINT = 'Something released this session\'s GET_LOCK (RELEASE_ALL_LOCKS, or the connection was reset): another run may be migrating this database. Check "migrate status" before running again.';

// Row 2 of migrator_lock names the holder: the lock itself says only a connection id.
const OWNER_ROW = 2;

interface OwnerRow {
  readonly run_id: string | null;
  readonly actor: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly acquired_at: number | null;
}

/** `migrator <version> <host> <pid>`: the applicationName the CLI sends as program_name. */
function parseProgramName(value: unknown): { host: string; pid: number } | undefined {
  const match = typeof value === 'string' ? /^migrator \S+ (\S+) (\d+)$/.exec(value) : null;
  return match?.[1] === undefined ? undefined : { host: match[1], pid: Number(match[2]) };
}

/** Each source of holder details may be missing (privileges, performance_schema off): best effort. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** Creates the GET_LOCK lock of `session` on `database`. */
export function createAdvisoryLock(session: MysqlSession, database: string): RunLock {
  return new AdvisoryLock(session, advisoryLockName(database));
}

class AdvisoryLock implements RunLock {
  private held = false;

  constructor(
    private readonly session: MysqlSession,
    private readonly name: string,
  ) {}

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    // CASE evaluates lazily: GET_LOCK runs only when this connection does not hold the lock yet.
    // MySQL 5.7+ and MariaDB 10.0.2+ nest GET_LOCK, and a second grant would need a second
    // RELEASE_LOCK: the core's single unlock would leave the lock held.
    const got = await this.session.value(`SELECT CASE WHEN IS_USED_LOCK(?) <=> CONNECTION_ID() THEN 1 ELSE GET_LOCK(?, 0) END`, [this.name, this.name]);
    if (got === null || got === undefined) {
      throw new Error(`GET_LOCK returned NULL for ${this.name}: the server could not take the lock (out of memory, or this thread was killed)`);
    }
    if (Number(got) !== 1) return { acquired: false, holder: await this.holder() };
    if (!this.held) await this.recordOwner(owner);
    this.held = true;
    return { acquired: true };
  }

  async assertHeld(): Promise<void> {
    const mine = await this.session.value('SELECT IS_USED_LOCK(?) <=> CONNECTION_ID()', [this.name]);
    if (Number(mine) !== 1) throw lockLostError(`this session does not hold the migration lock ${this.name}`, HINT);
  }

  fences(): boolean {
    return false;
  }

  async fence(): Promise<void> {
    // Only this session can lose its GET_LOCK (RELEASE_ALL_LOCKS, a dropped connection), and the
    // core's assertLock before each history write asks the server.
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    // 1: released. 0: another connection holds it. NULL: nobody does (released behind our back).
    const released = await this.session.value('SELECT RELEASE_LOCK(?)', [this.name]);
    if (Number(released) !== 1) {
      throw lockLostError(`the migration lock ${this.name} was no longer held by this session when it was released (RELEASE_LOCK returned ${String(released)})`, HINT);
    }
  }

  lost(): boolean {
    // The server releases a GET_LOCK with its connection.
    return this.held && this.session.dead;
  }

  async stop(): Promise<void> {}

  inspect(): Promise<LockInspection> {
    return inspectAdvisory(this.session, this.name, () => this.holder());
  }

  async takeOver(): Promise<boolean> {
    throw new MigratorError('E_NOT_SUPPORTED', 'a MySQL GET_LOCK lock cannot be released from another connection: it ends with the connection that holds it', {
      hint: 'End the holder\'s connection with KILL <connection id> ("migrate unlock" names it).',
    });
  }

  /**
   * Names this run as the holder in migrator_lock, for waiting runs to report. Best effort: the
   * lock is already taken and stays valid without it (the user may lack CREATE, or the database
   * may be read by an older tool); a failure only makes the holder anonymous.
   */
  private async recordOwner(owner: LockOwner): Promise<void> {
    await optional(async () => {
      await this.session.run(LOCK_DDL);
      const values = [owner.runId, owner.actor, owner.host, owner.pid];
      await this.session.run(`INSERT INTO ${TABLES.lock} (id, run_id, actor, host, pid, acquired_at, connection_id)
        VALUES (${OWNER_ROW}, ?, ?, ?, ?, ${SERVER_NOW_MS}, CONNECTION_ID())
        ON DUPLICATE KEY UPDATE run_id = ?, actor = ?, host = ?, pid = ?, acquired_at = ${SERVER_NOW_MS}, connection_id = CONNECTION_ID()`, [...values, ...values]);
    });
  }

  /** Who holds the lock: the connection id from IS_USED_LOCK, then what each source says of it. */
  private async holder(): Promise<LockHolderInfo | undefined> {
    const used = await this.session.value('SELECT IS_USED_LOCK(?)', [this.name]);
    if (used === null || used === undefined) return undefined;
    const id = Number(used);
    // information_schema.PROCESSLIST: deprecated in MySQL 8.0.22 for performance_schema.processlist,
    // which MariaDB lacks; without the PROCESS privilege it shows only the user's own sessions.
    const [process] = await optional(() => this.session.rows<{ user: string; host: string }>('SELECT USER AS user, HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?', [id])) ?? [];
    // performance_schema is off by default on MariaDB: then the table is empty.
    const program = parseProgramName(await optional(() => this.session.value(`SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs
      WHERE PROCESSLIST_ID = ? AND ATTR_NAME = 'program_name'`, [id])));
    // The row is stale unless it names the holding connection.
    const [row] = await optional(() => this.session.rows<OwnerRow>(`SELECT run_id, actor, host, pid, acquired_at FROM ${TABLES.lock}
      WHERE id = ${OWNER_ROW} AND connection_id = ?`, [id])) ?? [];
    const user = row?.actor ?? process?.user;
    const host = row?.host ?? program?.host ?? process?.host.replace(/:\d+$/, '');
    const pid = row?.pid ?? program?.pid;
    return {
      ...(row?.run_id == null ? {} : { owner: row.run_id }),
      ...(user == null ? {} : { user }),
      ...(host == null ? {} : { host }),
      ...(pid == null ? {} : { pid }),
      ...(row?.acquired_at == null ? {} : { since: new Date(row.acquired_at).toISOString() }),
    };
  }
}
