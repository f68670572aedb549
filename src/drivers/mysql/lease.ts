/**
 * The `table` run lock: a lease row in migrator_lock (row 1), for servers where a session lock does
 * not work (Galera, proxies that multiplex sessions). As in the SQLite driver: taken in a short
 * transaction, renewed by a heartbeat on a second connection of its own (shared/heartbeat.ts), and
 * fenced by a `generation` that every history write checks in its own transaction. Times are the
 * server's clock, the one all runners share. A lease is not taken from under a holder whose own
 * connection is still busy: its statement outlives any lease.
 */
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner, ServerDriverOptions } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { LOCK_DDL, TABLES } from './metadata.js';
import { openSession, type MysqlSession } from './session.js';
import type { MysqlTarget } from './url.js';
import { SERVER_NOW_MS, lockLostError } from './lock.js';
import type { RunLock } from './lock.js';
import { holderOf, pidAlive, pidScope } from '../shared/lease-holder.js';
import { HEARTBEAT_SUFFIX, LeaseHeartbeat, beatIntervalMs, heartbeatOptions } from '../shared/heartbeat.js';
import { SERVER_COLUMN, THIS_SERVER, hasServerColumn, holderConnection, inspectLease, type ConnectionColumns } from './lock-inspect.js';

interface LeaseRow extends ConnectionColumns {
  readonly run_id: string | null;
  readonly actor: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly pid_scope: string | null;
  readonly acquired_at: number | null;
  readonly expires_at: number | null;
  readonly generation: number;
  readonly now: number;
}

const HINT = 'another run took over the lease (it had expired, or this process looked dead): check what that run applied with `migrate status`, then retry';

// ER_LOCK_WAIT_TIMEOUT is what MariaDB raises for FOR UPDATE NOWAIT; MySQL 8 has ER_LOCK_NOWAIT.
const ROW_BUSY_ERRNOS = new Set([1205, 3572]);
// ER_TABLEACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR: no ALTER.
const ALTER_DENIED_ERRNOS = new Set([1142, 1044, 1227]);
// ER_DUP_FIELDNAME: a racing run added the column first.
const DUPLICATE_COLUMN = 1060;

const errno = (error: unknown): number => Number((error as { errno?: unknown }).errno);

/** Opens the heartbeat's own connection for a lease of `leaseMs`. */
export type OpenHeartbeat = (leaseMs: number) => Promise<MysqlSession>;

/** How the driver opens the heartbeat connection: the run's target and options, see {@link heartbeatOptions}. */
export function heartbeatOpener(target: MysqlTarget, options: ServerDriverOptions): OpenHeartbeat {
  return (leaseMs) => openSession(target, heartbeatOptions(options, leaseMs, `${options.applicationName}${HEARTBEAT_SUFFIX}`));
}

/**
 * Creates the lease lock of `session`. `leaseMs` is how long a lease lives without a heartbeat;
 * while held, a heartbeat every leaseMs/3 extends it, on the connection `openHeartbeat` opens on
 * the first `tryLock` or take-over: when it fails, so does that call (E_CONNECT), and no lease is taken.
 */
export function createLease(session: MysqlSession, leaseMs: number, openHeartbeat: OpenHeartbeat): RunLock {
  return new MysqlLease(session, leaseMs, openHeartbeat);
}

class MysqlLease implements RunLock {
  private readonly scope = pidScope();
  private mine: { readonly runId: string; readonly generation: number } | undefined;
  private readonly heartbeat: LeaseHeartbeat<MysqlSession>;
  private tableReady = false;
  /** Whether migrator_lock has SERVER_COLUMN: not where it predates it and this user may not ALTER it. */
  private serverColumn = false;
  private takenOver = false;

  constructor(
    private readonly session: MysqlSession,
    private readonly leaseMs: number,
    openHeartbeat: OpenHeartbeat,
  ) {
    this.heartbeat = new LeaseHeartbeat(session, session.label, () => openHeartbeat(leaseMs), beatIntervalMs(leaseMs), (on) => this.beat(on));
  }

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    await this.heartbeat.ready();
    if (!this.tableReady) {
      try {
        await this.createTable();
      } catch (error) {
        // Adding the server column waited (lock_wait_timeout) for a holder inside its transaction.
        if (!ROW_BUSY_ERRNOS.has(errno(error))) throw error;
        return { acquired: false, holder: await this.peekHolder() };
      }
    }
    const attempt = await this.session.transaction(async () => {
      let row: LeaseRow | undefined;
      try {
        // NOWAIT: tryLock returns at once; the core polls. MySQL 8.0.1+, MariaDB 10.3+.
        [row] = await this.session.rows<LeaseRow>(`SELECT *, ${SERVER_NOW_MS} AS now FROM ${TABLES.lock} WHERE id = 1 FOR UPDATE NOWAIT`);
      } catch (error) {
        if (!ROW_BUSY_ERRNOS.has(errno(error))) throw error;
        return undefined;
      }
      if (row === undefined) {
        // Deleted by hand: recreate it on the next attempt.
        this.tableReady = false;
        return { acquired: false, holder: undefined } as const;
      }
      return this.acquire(owner, row);
    });
    if (attempt === undefined) return { acquired: false, holder: await this.peekHolder() };
    if (attempt.acquired) this.heartbeat.start();
    return attempt;
  }

  async assertHeld(): Promise<void> {
    if (this.mine === undefined) throw lockLostError('this session does not hold the migration lock', HINT);
    // Inside the core's transaction the UPDATE's row lock lasts until its COMMIT: no other run
    // can take the lease between this check and that commit.
    if (await this.extend() !== 1) throw lockLostError(`lost the migration lock: another run took over the lease in ${TABLES.lock}`, HINT);
  }

  fences(): boolean {
    return this.mine !== undefined;
  }

  async fence(): Promise<void> {
    if (this.mine !== undefined) await this.assertHeld();
  }

  async release(): Promise<void> {
    this.heartbeat.stop();
    if (this.mine === undefined) return;
    const { runId, generation } = this.mine;
    this.mine = undefined;
    const cleared = await this.session.affected(`UPDATE ${TABLES.lock} SET run_id = NULL, actor = NULL, host = NULL, pid = NULL,
      pid_scope = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL, connection_id = NULL${this.serverColumn ? `, ${SERVER_COLUMN} = NULL` : ''}
      WHERE id = 1 AND run_id = ? AND generation = ?`, [runId, generation]);
    if (cleared !== 1) throw lockLostError('the lock was taken over while this run held it', HINT);
  }

  lost(): boolean {
    return this.takenOver || (this.mine !== undefined && this.session.dead);
  }

  stop(): Promise<void> {
    return this.heartbeat.close();
  }

  inspect(): Promise<LockInspection> {
    return inspectLease(this.session, this.scope);
  }

  async takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean> {
    await this.heartbeat.ready();
    this.serverColumn = await hasServerColumn(this.session);
    const generation = Number(expected.generation) + 1;
    const taken = await this.session.transaction(async () => {
      try {
        // NOWAIT, as in tryLock: a row locked by the holder's open transaction means it is writing.
        const [row] = await this.session.rows<LeaseRow>(`SELECT * FROM ${TABLES.lock} WHERE id = 1 AND run_id = ? AND generation = ?
          AND (? = 0 OR expires_at IS NULL OR expires_at < ${SERVER_NOW_MS}) FOR UPDATE NOWAIT`, [expected.runId, Number(expected.generation), expected.onlyIfExpired ? 1 : 0]);
        // Never from under a busy holder connection, whatever the claim: its statement still runs.
        if (row === undefined || (await holderConnection(this.session, row)).status === 'busy') return false;
      } catch (error) {
        if (ROW_BUSY_ERRNOS.has(errno(error))) return false;
        throw error;
      }
      await this.claim(owner, generation);
      return true;
    });
    if (!taken) return false;
    this.mine = { runId: owner.runId, generation };
    this.takenOver = false;
    this.tableReady = true;
    this.heartbeat.start();
    return true;
  }

  /**
   * The table, and its row 1 before anyone locks it: FOR UPDATE on a missing row takes a gap lock,
   * and two sessions inserting into the same gap deadlock. Outside any transaction: DDL commits.
   */
  private async createTable(): Promise<void> {
    await this.session.run(LOCK_DDL);
    this.serverColumn = await this.addServerColumn();
    await this.session.run(`INSERT INTO ${TABLES.lock} (id, generation) VALUES (1, 0) ON DUPLICATE KEY UPDATE id = id`);
    this.tableReady = true;
  }

  /**
   * Adds SERVER_COLUMN to a table made before it existed; returns whether the table has it. Checked
   * first (MySQL 8 has no ADD COLUMN IF NOT EXISTS). A user without the ALTER privilege keeps the
   * lease without it: no busy check, as before.
   */
  private async addServerColumn(): Promise<boolean> {
    if (await hasServerColumn(this.session)) return true;
    try {
      await this.session.run(`ALTER TABLE ${TABLES.lock} ADD COLUMN ${SERVER_COLUMN} TEXT NULL`);
      return true;
    } catch (error) {
      if (errno(error) === DUPLICATE_COLUMN) return true;
      if (ALTER_DENIED_ERRNOS.has(errno(error))) return false;
      throw error;
    }
  }

  /**
   * Whether the lease in `row` may be taken: released; or expired, or its holder ran on this host
   * and its process is gone; but never while the holder's own connection is still busy (the lease
   * expired under its long statement, or its process died while the server runs that statement).
   */
  private async isFree(row: LeaseRow): Promise<boolean> {
    if (row.run_id === null) return true;
    const expired = row.expires_at === null || row.expires_at < row.now;
    const gone = row.pid_scope === this.scope && row.pid !== null && !pidAlive(row.pid);
    if (!expired && !gone) return false;
    return (await holderConnection(this.session, row)).status !== 'busy';
  }

  /** Runs in tryLock's transaction, with row 1 locked. */
  private async acquire(owner: LockOwner, row: LeaseRow): Promise<LockAttempt> {
    if (row.run_id !== owner.runId && !(await this.isFree(row))) return { acquired: false, holder: holderOf(row) };
    const generation = Number(row.generation) + 1;
    await this.claim(owner, generation);
    this.mine = { runId: owner.runId, generation };
    this.takenOver = false;
    return { acquired: true };
  }

  /** Writes `owner` into row 1 (locked by the caller's transaction), with this connection as its own. */
  private async claim(owner: LockOwner, generation: number): Promise<void> {
    await this.session.run(`UPDATE ${TABLES.lock} SET run_id = ?, actor = ?, host = ?, pid = ?, pid_scope = ?,
        acquired_at = ${SERVER_NOW_MS}, heartbeat_at = ${SERVER_NOW_MS}, expires_at = ${SERVER_NOW_MS} + ?,
        generation = ?, connection_id = CONNECTION_ID()${this.serverColumn ? `, ${SERVER_COLUMN} = ${THIS_SERVER}` : ''}
      WHERE id = 1`, [owner.runId, owner.actor, owner.host, owner.pid, this.scope, this.leaseMs, generation]);
  }

  /** Pushes the expiry forward, on `session`, if the row is still ours; returns the rows matched (1 or 0). */
  private extend(session: MysqlSession = this.session): Promise<number> {
    return session.affected(`UPDATE ${TABLES.lock} SET heartbeat_at = ${SERVER_NOW_MS}, expires_at = ${SERVER_NOW_MS} + ?
      WHERE id = 1 AND run_id = ? AND generation = ?`, [this.leaseMs, this.mine?.runId ?? null, this.mine?.generation ?? -1]);
  }

  /** Best effort, while another session has the row locked: a plain read sees the last commit. */
  private async peekHolder(): Promise<LockHolderInfo | undefined> {
    try {
      const [row] = await this.session.rows<LeaseRow>(`SELECT *, ${SERVER_NOW_MS} AS now FROM ${TABLES.lock} WHERE id = 1`);
      return holderOf(row);
    } catch {
      return undefined;
    }
  }

  /** One renewal, on the connection the heartbeat chose (see LeaseHeartbeat). */
  private async beat(on: MysqlSession): Promise<void> {
    const held = this.mine;
    if (held === undefined) return;
    try {
      // A release or take-over may have ended this lease while the beat was on its way.
      if (await this.extend(on) !== 1 && this.mine === held) this.takenOver = true;
    } catch {
      // A missed beat (a row lock held a moment too long) is harmless: the lease is 3 beats long.
    }
  }
}
