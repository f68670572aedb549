/**
 * The run-wide lock of the SQLite driver: one lease row in `migrator_lock`, written under SQLite's
 * write lock (BEGIN IMMEDIATE), so two processes on one file never both believe they hold it. A
 * fencing `generation` increments on each acquisition; the holder checks it before each commit.
 */
import type Database from 'better-sqlite3';
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { MigratorError } from '../../core/errors.js';
import { prepared } from './prepared.js';
import { TABLES } from './metadata.js';
import { holderOf, pidAlive, pidScope } from '../shared/lease-holder.js';
import { inspectLease } from './lock-inspect.js';

/** The lock of one session, see {@link createLease}. */
export interface Lease {
  /** Implements `Driver.tryLock`; never waits on SQLite's busy timeout. */
  tryLock(owner: LockOwner): LockAttempt;
  /** Throws E_LOCK_LOST unless this session still holds the lease; extends it when it does. */
  assertHeld(): void;
  /** Whether this session believes it holds the lease (since its last successful tryLock). */
  readonly held: boolean;
  /** Set when a heartbeat found the lease taken over: `Driver.lockLost`. */
  readonly lost: boolean;
  /** Implements `Driver.unlock`: no-op when never held, E_LOCK_LOST when taken over meanwhile. */
  release(): void;
  /** Implements `Driver.inspectLock`: reads only. */
  inspect(): LockInspection;
  /** Implements `Driver.breakLock`: compare-and-swap of the holder, see the port. */
  takeOver(expected: LeaseClaim, owner: LockOwner): boolean;
  /** Stops the heartbeat (on close); the row stays and expires on its own. */
  stop(): void;
}

interface LeaseRow {
  readonly run_id: string | null;
  readonly actor: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly pid_scope: string | null;
  readonly acquired_at: number | null;
  readonly expires_at: number | null;
  readonly generation: number;
}

// pid_scope (hostname + pid namespace) decides whether `pid` can be probed from here: containers
// with the host's hostname (network_mode: host) still have their own pids.
const LOCK_DDL = `CREATE TABLE IF NOT EXISTS ${TABLES.lock} (
  id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT, actor TEXT, host TEXT, pid INTEGER, pid_scope TEXT,
  acquired_at INTEGER, heartbeat_at INTEGER, expires_at INTEGER, generation INTEGER NOT NULL DEFAULT 0
)`;

function isFree(row: LeaseRow | undefined, now: number, scope: string): boolean {
  if (row === undefined || row.run_id === null) return true;
  if (row.expires_at === null || row.expires_at < now) return true;
  return row.pid_scope === scope && row.pid !== null && !pidAlive(row.pid);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function lockLost(message: string): MigratorError {
  return new MigratorError('E_LOCK_LOST', message, {
    hint: 'another run took over the lease (it had expired, or this process looked dead): check what that run applied with `migrate status`, then retry',
  });
}

/**
 * Creates the lease lock of the session on `db`. `leaseMs` is how long a lease lives without a
 * heartbeat; while this session holds it, a heartbeat every leaseMs/3 extends it.
 */
export function createLease(db: Database.Database, leaseMs: number, busyTimeoutMs: number): Lease {
  return new SqliteLease(db, leaseMs, busyTimeoutMs);
}

class SqliteLease implements Lease {
  private readonly scope = pidScope();
  private mine: { readonly runId: string; readonly generation: number } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When this session last pushed the expiry forward (Date.now()). */
  private extendedAt = 0;
  lost = false;

  constructor(
    private readonly db: Database.Database,
    private readonly leaseMs: number,
    private readonly busyTimeoutMs: number,
  ) {}

  get held(): boolean {
    return this.mine !== undefined;
  }

  tryLock(owner: LockOwner): LockAttempt {
    return this.withoutWaiting(() => {
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        if (!isBusy(error)) throw error;
        return { acquired: false, holder: this.peekHolder() };
      }
      let attempt: LockAttempt;
      const previous = this.mine;
      try {
        attempt = this.acquire(owner);
        this.db.exec('COMMIT');
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.mine = previous;
        // In rollback-journal mode COMMIT must wait for every reader to finish; without a busy
        // timeout that is SQLITE_BUSY, which only means "not this time": the core polls again.
        if (isBusy(error)) return { acquired: false, holder: undefined };
        throw error;
      }
      if (attempt.acquired) this.startHeartbeat();
      return attempt;
    });
  }

  assertHeld(): void {
    if (this.mine === undefined) throw lockLost('this session does not hold the migration lock');
    const check = (): void => {
      if (this.extend() !== 1) throw lockLost(`lost the migration lock: another run took over the lease in ${TABLES.lock}`);
    };
    // Inside the core's transaction (BEGIN IMMEDIATE: this connection holds the write lock until
    // it ends) no one can change the row: reading it is the fence, and a write, one more page per
    // migration to journal, is needed only when the lease is due a renewal (the heartbeat skips
    // open transactions). Else its own BEGIN IMMEDIATE.
    if (!this.db.inTransaction) this.db.transaction(check).immediate();
    else if (Date.now() - this.extendedAt >= this.leaseMs / 3) check();
    else if (!this.stillMine()) throw lockLost(`lost the migration lock: another run took over the lease in ${TABLES.lock}`);
  }

  release(): void {
    this.stop();
    if (this.mine === undefined) return;
    const { runId, generation } = this.mine;
    this.mine = undefined;
    const { changes } = this.db.prepare(`UPDATE ${TABLES.lock} SET run_id = NULL, actor = NULL, host = NULL, pid = NULL,
      pid_scope = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL
      WHERE id = 1 AND run_id = ? AND generation = ?`).run(runId, generation);
    if (changes !== 1) throw lockLost('the lock was taken over while this run held it');
  }

  stop(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  inspect(): LockInspection {
    return inspectLease(this.db, this.scope);
  }

  takeOver(expected: LeaseClaim, owner: LockOwner): boolean {
    const now = Date.now();
    const generation = Number(expected.generation) + 1;
    let changes: number;
    try {
      // One UPDATE is atomic under SQLite's write lock: the holder named in WHERE is the one replaced.
      ({ changes } = this.db.prepare(`UPDATE ${TABLES.lock} SET run_id = @runId, actor = @actor, host = @host, pid = @pid,
          pid_scope = @scope, acquired_at = @now, heartbeat_at = @now, expires_at = @expires, generation = @generation
        WHERE id = 1 AND run_id = @expectedRunId AND generation = @expectedGeneration
          AND (@onlyIfExpired = 0 OR expires_at IS NULL OR expires_at < @now)`)
        .run({ runId: owner.runId, actor: owner.actor, host: owner.host, pid: owner.pid, scope: this.scope, now, expires: now + this.leaseMs, generation,
          expectedRunId: expected.runId, expectedGeneration: Number(expected.generation), onlyIfExpired: expected.onlyIfExpired ? 1 : 0 }));
    } catch (error) {
      // The busy timeout passed while another connection kept the write lock: a live writer.
      if (isBusy(error)) return false;
      throw error;
    }
    if (changes !== 1) return false;
    this.mine = { runId: owner.runId, generation };
    this.extendedAt = now;
    this.lost = false;
    this.startHeartbeat();
    return true;
  }

  /** Runs inside BEGIN IMMEDIATE: the lease table is created and read under SQLite's write lock. */
  private acquire(owner: LockOwner): LockAttempt {
    this.db.exec(LOCK_DDL);
    const row = this.readRow();
    const now = Date.now();
    if (!isFree(row, now, this.scope) && row?.run_id !== owner.runId) return { acquired: false, holder: holderOf(row) };
    const generation = (row?.generation ?? 0) + 1;
    this.db.prepare(`INSERT INTO ${TABLES.lock}
        (id, run_id, actor, host, pid, pid_scope, acquired_at, heartbeat_at, expires_at, generation)
      VALUES (1, @runId, @actor, @host, @pid, @scope, @now, @now, @expires, @generation)
      ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, actor = excluded.actor, host = excluded.host,
        pid = excluded.pid, pid_scope = excluded.pid_scope, acquired_at = excluded.acquired_at,
        heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, generation = excluded.generation`)
      .run({ runId: owner.runId, actor: owner.actor, host: owner.host, pid: owner.pid, scope: this.scope, now, expires: now + this.leaseMs, generation });
    this.mine = { runId: owner.runId, generation };
    this.extendedAt = now;
    this.lost = false;
    return { acquired: true };
  }

  /** Pushes the expiry forward if the row is still ours; returns the rows changed (1 or 0). */
  private extend(): number {
    const now = Date.now();
    const { changes } = prepared(this.db, `UPDATE ${TABLES.lock} SET heartbeat_at = ?, expires_at = ?
      WHERE id = 1 AND run_id = ? AND generation = ?`).run(now, now + this.leaseMs, this.mine?.runId ?? null, this.mine?.generation ?? -1);
    if (changes === 1) this.extendedAt = now;
    return changes;
  }

  /** Whether the row still names this session's run and generation (read only). */
  private stillMine(): boolean {
    return prepared(this.db, `SELECT 1 FROM ${TABLES.lock} WHERE id = 1 AND run_id = ? AND generation = ?`).get(this.mine?.runId ?? null, this.mine?.generation ?? -1) !== undefined;
  }

  private readRow(): LeaseRow | undefined {
    return this.db.prepare(`SELECT * FROM ${TABLES.lock} WHERE id = 1`).get() as LeaseRow | undefined;
  }

  /** Best effort: another connection's write lock still lets us read the row (not during its commit). */
  private peekHolder(): LockHolderInfo | undefined {
    try {
      return holderOf(this.readRow());
    } catch {
      return undefined;
    }
  }

  // better-sqlite3 is synchronous: a busy wait blocks the event loop (signals, timers). tryLock and
  // the heartbeat must return at once, so they run with busy_timeout 0; the core polls and retries.
  private withoutWaiting<T>(fn: () => T): T {
    this.db.pragma('busy_timeout = 0');
    try {
      return fn();
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  private startHeartbeat(): void {
    this.stop();
    // unref: a forgotten unlock must not keep the process alive.
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.floor(this.leaseMs / 3))).unref();
  }

  private beat(): void {
    // An open transaction already holds the write lock and assertHeld extends the lease before its
    // commit; writing here would join (and could be rolled back with) the core's transaction.
    if (!this.db.open || this.db.inTransaction) return;
    try {
      if (this.withoutWaiting(() => this.extend()) !== 1) this.lost = true;
    } catch {
      // A missed beat (SQLITE_BUSY) is harmless: the lease is 3 beats long, and assertHeld catches a loss.
    }
  }
}
