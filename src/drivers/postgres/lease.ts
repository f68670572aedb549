/**
 * The `table` lock strategy, for connections where session locks do not hold (PgBouncer
 * transaction pooling, CockroachDB): one lease row in migrator_lock with an expiry renewed by a
 * heartbeat, and a fencing `generation` bumped by each acquisition and checked by every history
 * write. Times come from the server's clock (clock_timestamp()), so runners on hosts whose clocks
 * disagree still agree on expiry; a dead holder is taken over by expiry only, as its pid may live on
 * another host.
 */
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { isCreateRace, sqlState } from './errors.js';
import { TABLES } from './metadata.js';
import { lockLostError } from './run-lock.js';
import type { RunLock } from './run-lock.js';
import type { PgSession } from './session.js';
import { holderOf } from '../shared/lease-holder.js';
import { inspectLease } from './lock-inspect.js';

interface LeaseRow {
  readonly run_id: string | null;
  readonly actor: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly acquired_at: Date | null;
  readonly free: boolean;
}

const EXPIRES = `clock_timestamp() + $3::float8 * interval '1 millisecond'`;

class PgLease implements RunLock {
  private readonly table: string;
  private ensured = false;
  private mine: { readonly runId: string; readonly generation: string } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  lost = false;

  constructor(
    private readonly session: PgSession,
    private readonly leaseMs: number,
  ) {
    this.table = session.table(TABLES.lock);
  }

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    await this.ensureTable();
    let attempt: LockAttempt;
    try {
      attempt = await this.session.atomically(() => this.acquire(owner));
    } catch (error) {
      // NOWAIT: the row is locked by a holder's history write (its migration transaction is open).
      if (sqlState(error) !== '55P03') throw error;
      return { acquired: false, holder: await this.peekHolder() };
    }
    if (attempt.acquired) this.startHeartbeat();
    return attempt;
  }

  async assertHeld(): Promise<void> {
    if (this.mine === undefined) throw lockLostError('this session does not hold the migration lock');
    if ((await this.extend()) !== 1) throw lockLostError(`lost the migration lock: another run took over the lease in ${TABLES.lock}`);
  }

  async release(): Promise<void> {
    this.stop();
    if (this.mine === undefined) return;
    const { runId, generation } = this.mine;
    this.mine = undefined;
    const { rowCount } = await this.session.query(`UPDATE ${this.table} SET run_id = NULL, actor = NULL, host = NULL, pid = NULL,
        acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL
      WHERE id = 1 AND run_id = $1 AND generation = $2::bigint`, [runId, generation]);
    if (rowCount !== 1) throw lockLostError('the lock was taken over while this run held it');
  }

  async fenced(write: () => Promise<void>): Promise<void> {
    if (this.mine === undefined) return write();
    // The check and the write commit together (a savepoint inside the core's transaction), and the
    // row lock the UPDATE takes keeps a taker out until that transaction ends.
    return this.session.atomically(async () => {
      await this.assertHeld();
      await write();
    });
  }

  stop(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  inspect(): Promise<LockInspection> {
    return inspectLease(this.session);
  }

  async takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean> {
    let generation: string | undefined;
    try {
      generation = await this.session.atomically(() => this.swap(expected, owner));
    } catch (error) {
      // NOWAIT: the holder's open transaction locks the row, so it is alive and writing.
      if (sqlState(error) === '55P03') return false;
      throw error;
    }
    if (generation === undefined) return false;
    this.mine = { runId: owner.runId, generation };
    this.lost = false;
    this.startHeartbeat();
    return true;
  }

  /** Creates the table and its single row once per session; racing creators are tolerated. */
  private async ensureTable(): Promise<void> {
    if (this.ensured) return;
    await this.session.atomically(() => this.session.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id integer PRIMARY KEY CHECK (id = 1), run_id text, actor text, host text, pid integer,
        acquired_at timestamptz, heartbeat_at timestamptz, expires_at timestamptz, generation bigint NOT NULL DEFAULT 0)`))
      .catch((error: unknown) => {
        if (!isCreateRace(error)) throw error;
      });
    // WHERE NOT EXISTS: a plain read sees the committed row, where ON CONFLICT alone would wait for
    // the row lock of a holder inside its migration transaction.
    await this.session.query(`INSERT INTO ${this.table} (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE id = 1)
      ON CONFLICT (id) DO NOTHING`);
    this.ensured = true;
  }

  /** Runs in a transaction: FOR UPDATE NOWAIT serialises takers without ever queueing behind a holder. */
  private async acquire(owner: LockOwner): Promise<LockAttempt> {
    const { rows } = await this.session.query<LeaseRow>(`SELECT run_id, actor, host, pid, acquired_at,
        (run_id IS NULL OR expires_at IS NULL OR expires_at < clock_timestamp()) AS free
      FROM ${this.table} WHERE id = 1 FOR UPDATE NOWAIT`);
    const row = rows[0];
    if (row !== undefined && !row.free && row.run_id !== owner.runId) return { acquired: false, holder: holderOf(row) };
    const taken = await this.session.query<{ generation: string }>(`INSERT INTO ${this.table} AS l
        (id, run_id, actor, host, pid, acquired_at, heartbeat_at, expires_at, generation)
      VALUES (1, $1, $2, $4, $5, clock_timestamp(), clock_timestamp(), ${EXPIRES}, 1)
      ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id, actor = EXCLUDED.actor, host = EXCLUDED.host,
        pid = EXCLUDED.pid, acquired_at = EXCLUDED.acquired_at, heartbeat_at = EXCLUDED.heartbeat_at,
        expires_at = EXCLUDED.expires_at, generation = l.generation + 1
      RETURNING generation::text AS generation`, [owner.runId, owner.actor, this.leaseMs, owner.host, owner.pid]);
    this.mine = { runId: owner.runId, generation: taken.rows[0]?.generation ?? '' };
    this.lost = false;
    return { acquired: true };
  }

  /** Runs in a transaction: replaces the expected holder with `owner`; the new generation, or `undefined`. */
  private async swap(expected: LeaseClaim, owner: LockOwner): Promise<string | undefined> {
    const { rows } = await this.session.query(`SELECT 1 FROM ${this.table} WHERE id = 1 AND run_id = $1 AND generation = $2::bigint
        AND (NOT $3::boolean OR expires_at IS NULL OR expires_at < clock_timestamp()) FOR UPDATE NOWAIT`, [expected.runId, expected.generation, expected.onlyIfExpired]);
    if (rows.length === 0) return undefined;
    const taken = await this.session.query<{ generation: string }>(`UPDATE ${this.table} SET run_id = $1, actor = $2, host = $4, pid = $5,
        acquired_at = clock_timestamp(), heartbeat_at = clock_timestamp(), expires_at = ${EXPIRES}, generation = generation + 1
      WHERE id = 1 RETURNING generation::text AS generation`, [owner.runId, owner.actor, this.leaseMs, owner.host, owner.pid]);
    return taken.rows[0]?.generation;
  }

  /** Pushes the expiry forward if the row is still ours; returns the rows changed (1 or 0). */
  private async extend(): Promise<number> {
    const { rowCount } = await this.session.query(`UPDATE ${this.table} SET heartbeat_at = clock_timestamp(), expires_at = ${EXPIRES}
      WHERE id = 1 AND run_id = $1 AND generation = $2::bigint`, [this.mine?.runId ?? null, this.mine?.generation ?? '-1', this.leaseMs]);
    return rowCount ?? 0;
  }

  /** A plain read: MVCC shows the last committed holder even while the row is locked. */
  private async peekHolder(): Promise<LockHolderInfo | undefined> {
    const { rows } = await this.session.query<LeaseRow>(`SELECT run_id, actor, host, pid, acquired_at, false AS free FROM ${this.table} WHERE id = 1`);
    return holderOf(rows[0]);
  }

  private startHeartbeat(): void {
    this.stop();
    // unref: a forgotten unlock must not keep the process alive.
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.floor(this.leaseMs / 3))).unref();
  }

  private beat(): void {
    // The heartbeat shares the run's one connection. Inside a transaction its UPDATE would join the
    // core's transaction (and roll back with it); the fencing write extends the lease there instead.
    if (this.beating || this.mine === undefined || this.session.inTransaction || this.session.dead) return;
    this.beating = true;
    this.extend().then(
      (changed) => {
        if (changed !== 1) this.lost = true;
      },
      // A missed beat (statement timeout, row briefly locked) is harmless: the lease is 3 beats long.
      () => undefined,
    ).finally(() => {
      this.beating = false;
    });
  }
}

/** Creates the lease lock of `session`; `leaseMs` is how long a lease lives without a heartbeat. */
export function createLease(session: PgSession, leaseMs: number): RunLock {
  return new PgLease(session, leaseMs);
}
