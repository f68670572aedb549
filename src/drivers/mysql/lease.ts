/**
 * The `table` run lock: a lease row in migrator_lock (row 1), for servers where a session lock does
 * not work (Galera, proxies that multiplex sessions). As in the SQLite driver: taken in a short
 * transaction, renewed by a heartbeat, and fenced by a `generation` that every history write checks
 * in its own transaction. Times are the server's clock, the one all runners share.
 */
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { LOCK_DDL, TABLES } from './metadata.js';
import type { MysqlSession } from './session.js';
import { SERVER_NOW_MS, lockLostError } from './lock.js';
import type { RunLock } from './lock.js';
import { holderOf, pidAlive, pidScope } from '../shared/lease-holder.js';
import { inspectLease } from './lock-inspect.js';

interface LeaseRow {
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

function isFree(row: LeaseRow, scope: string): boolean {
  if (row.run_id === null || row.expires_at === null || row.expires_at < row.now) return true;
  return row.pid_scope === scope && row.pid !== null && !pidAlive(row.pid);
}

/**
 * Creates the lease lock of `session`. `leaseMs` is how long a lease lives without a heartbeat;
 * while held, a heartbeat every leaseMs/3 extends it.
 */
export function createLease(session: MysqlSession, leaseMs: number): RunLock {
  return new MysqlLease(session, leaseMs);
}

class MysqlLease implements RunLock {
  private readonly scope = pidScope();
  private mine: { readonly runId: string; readonly generation: number } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private tableReady = false;
  private takenOver = false;

  constructor(
    private readonly session: MysqlSession,
    private readonly leaseMs: number,
  ) {}

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    if (!this.tableReady) await this.createTable();
    const attempt = await this.session.transaction(async () => {
      let row: LeaseRow | undefined;
      try {
        // NOWAIT: tryLock returns at once; the core polls. MySQL 8.0.1+, MariaDB 10.3+.
        [row] = await this.session.rows<LeaseRow>(`SELECT *, ${SERVER_NOW_MS} AS now FROM ${TABLES.lock} WHERE id = 1 FOR UPDATE NOWAIT`);
      } catch (error) {
        if (!ROW_BUSY_ERRNOS.has((error as { errno?: unknown }).errno as number)) throw error;
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
    if (attempt.acquired) this.startHeartbeat();
    return attempt;
  }

  async assertHeld(): Promise<void> {
    if (this.mine === undefined) throw lockLostError('this session does not hold the migration lock', HINT);
    // Inside the core's transaction the UPDATE's row lock lasts until its COMMIT: no other run
    // can take the lease between this check and that commit.
    if (await this.extend() !== 1) throw lockLostError(`lost the migration lock: another run took over the lease in ${TABLES.lock}`, HINT);
  }

  async fence(): Promise<void> {
    if (this.mine !== undefined) await this.assertHeld();
  }

  async release(): Promise<void> {
    this.stop();
    if (this.mine === undefined) return;
    const { runId, generation } = this.mine;
    this.mine = undefined;
    const cleared = await this.session.affected(`UPDATE ${TABLES.lock} SET run_id = NULL, actor = NULL, host = NULL, pid = NULL,
      pid_scope = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL, connection_id = NULL
      WHERE id = 1 AND run_id = ? AND generation = ?`, [runId, generation]);
    if (cleared !== 1) throw lockLostError('the lock was taken over while this run held it', HINT);
  }

  lost(): boolean {
    return this.takenOver || (this.mine !== undefined && this.session.dead);
  }

  stop(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  inspect(): Promise<LockInspection> {
    return inspectLease(this.session, this.scope);
  }

  async takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean> {
    const generation = Number(expected.generation) + 1;
    const taken = await this.session.transaction(async () => {
      try {
        // NOWAIT, as in tryLock: a row locked by the holder's open transaction means it is writing.
        const [row] = await this.session.rows(`SELECT 1 FROM ${TABLES.lock} WHERE id = 1 AND run_id = ? AND generation = ?
          AND (? = 0 OR expires_at IS NULL OR expires_at < ${SERVER_NOW_MS}) FOR UPDATE NOWAIT`, [expected.runId, Number(expected.generation), expected.onlyIfExpired ? 1 : 0]);
        if (row === undefined) return false;
      } catch (error) {
        if (ROW_BUSY_ERRNOS.has((error as { errno?: unknown }).errno as number)) return false;
        throw error;
      }
      await this.session.run(`UPDATE ${TABLES.lock} SET run_id = ?, actor = ?, host = ?, pid = ?, pid_scope = ?,
          acquired_at = ${SERVER_NOW_MS}, heartbeat_at = ${SERVER_NOW_MS}, expires_at = ${SERVER_NOW_MS} + ?,
          generation = ?, connection_id = CONNECTION_ID()
        WHERE id = 1`, [owner.runId, owner.actor, owner.host, owner.pid, this.scope, this.leaseMs, generation]);
      return true;
    });
    if (!taken) return false;
    this.mine = { runId: owner.runId, generation };
    this.takenOver = false;
    this.tableReady = true;
    this.startHeartbeat();
    return true;
  }

  /**
   * The table, and its row 1 before anyone locks it: FOR UPDATE on a missing row takes a gap lock,
   * and two sessions inserting into the same gap deadlock. Outside any transaction: DDL commits.
   */
  private async createTable(): Promise<void> {
    await this.session.run(LOCK_DDL);
    await this.session.run(`INSERT INTO ${TABLES.lock} (id, generation) VALUES (1, 0) ON DUPLICATE KEY UPDATE id = id`);
    this.tableReady = true;
  }

  /** Runs in tryLock's transaction, with row 1 locked. */
  private async acquire(owner: LockOwner, row: LeaseRow): Promise<LockAttempt> {
    if (!isFree(row, this.scope) && row.run_id !== owner.runId) return { acquired: false, holder: holderOf(row) };
    const generation = Number(row.generation) + 1;
    await this.session.run(`UPDATE ${TABLES.lock} SET run_id = ?, actor = ?, host = ?, pid = ?, pid_scope = ?,
        acquired_at = ${SERVER_NOW_MS}, heartbeat_at = ${SERVER_NOW_MS}, expires_at = ${SERVER_NOW_MS} + ?,
        generation = ?, connection_id = CONNECTION_ID()
      WHERE id = 1`, [owner.runId, owner.actor, owner.host, owner.pid, this.scope, this.leaseMs, generation]);
    this.mine = { runId: owner.runId, generation };
    this.takenOver = false;
    return { acquired: true };
  }

  /** Pushes the expiry forward if the row is still ours; returns the rows matched (1 or 0). */
  private extend(): Promise<number> {
    return this.session.affected(`UPDATE ${TABLES.lock} SET heartbeat_at = ${SERVER_NOW_MS}, expires_at = ${SERVER_NOW_MS} + ?
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

  private startHeartbeat(): void {
    this.stop();
    // unref: a forgotten unlock must not keep the process alive.
    this.heartbeat = setInterval(() => void this.beat(), Math.max(1, Math.floor(this.leaseMs / 3))).unref();
  }

  private async beat(): Promise<void> {
    // Inside a transaction the beat would join it (and could be rolled back with it); assertLock
    // extends the lease before each commit anyway. One beat at a time: a long statement ahead of
    // it in the connection's queue must not pile them up.
    if (this.session.dead || this.session.inTransaction || this.beating || this.mine === undefined) return;
    this.beating = true;
    try {
      if (await this.extend() !== 1) this.takenOver = true;
    } catch {
      // A missed beat (a row lock held a moment too long) is harmless: the lease is 3 beats long.
    } finally {
      this.beating = false;
    }
  }
}
