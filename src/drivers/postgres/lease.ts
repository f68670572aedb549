/**
 * The `table` lock strategy, for connections where session locks do not hold (PgBouncer
 * transaction pooling, CockroachDB): one lease row in migrator_lock with an expiry renewed by a
 * heartbeat, and a fencing `generation` bumped by each acquisition and checked by every history
 * write. Times come from the server's clock (clock_timestamp()), so runners on hosts whose clocks
 * disagree still agree on expiry; a dead holder is taken over by expiry only, as its pid may live on
 * another host, and not while its own backend is still busy (a statement outlives its lease). The
 * heartbeat renews the lease on a second connection of its own (shared/heartbeat.ts).
 */
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner, ServerDriverOptions } from '../../core/ports.js';
import type { LockHolderInfo } from '../../core/events.js';
import { isCreateRace, sqlState } from './errors.js';
import { TABLES } from './metadata.js';
import pg from 'pg';
import { lockLostError, raiseUnless } from './run-lock.js';
import type { RunLock } from './run-lock.js';
import { openSession, truncateName, type PgSession } from './session.js';
import { holderOf } from '../shared/lease-holder.js';
import { BACKEND_COLUMN, HOLDER_BUSY, hasBackendColumn, inspectLease } from './lock-inspect.js';
import { HEARTBEAT_SUFFIX, LeaseHeartbeat, beatIntervalMs, heartbeatOptions } from '../shared/heartbeat.js';

interface LeaseRow {
  readonly run_id: string | null;
  readonly actor: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly acquired_at: Date | null;
  readonly free: boolean;
}

const EXPIRES = `clock_timestamp() + $3::float8 * interval '1 millisecond'`;

/** Opens the heartbeat's own connection for a lease of `leaseMs`. */
export type OpenHeartbeat = (leaseMs: number) => Promise<PgSession>;

/** `<application name> heartbeat`, the run's name cut so that the suffix fits application_name's 63 bytes. */
export function heartbeatName(applicationName: string): string {
  let base = truncateName(applicationName);
  while (truncateName(base + HEARTBEAT_SUFFIX) !== base + HEARTBEAT_SUFFIX) base = [...base].slice(0, -1).join('');
  return base + HEARTBEAT_SUFFIX;
}

/** How the driver opens the heartbeat connection: the run's session options, see {@link heartbeatOptions}. */
export function heartbeatOpener(options: ServerDriverOptions): OpenHeartbeat {
  return (leaseMs) => openSession(heartbeatOptions(options, leaseMs, heartbeatName(options.applicationName)));
}

class PgLease implements RunLock {
  private readonly table: string;
  private ensured = false;
  /** Whether the row records the holder's backend: false where the table predates it and may not be altered. */
  private backendColumn = false;
  private mine: { readonly runId: string; readonly generation: string } | undefined;
  private readonly heartbeat: LeaseHeartbeat<PgSession>;
  lost = false;

  constructor(
    private readonly session: PgSession,
    private readonly leaseMs: number,
    openHeartbeat: OpenHeartbeat,
  ) {
    this.table = session.table(TABLES.lock);
    this.heartbeat = new LeaseHeartbeat(session, session.label, () => openHeartbeat(leaseMs), beatIntervalMs(leaseMs), (on) => this.beat(on));
  }

  async tryLock(owner: LockOwner): Promise<LockAttempt> {
    await this.heartbeat.ready();
    let attempt: LockAttempt;
    try {
      await this.ensureTable();
      attempt = await this.session.atomically(() => this.acquire(owner));
    } catch (error) {
      // NOWAIT: the row is locked by a holder's history write (its migration transaction is open).
      // Or lock_timeout: adding the backend column waited for such a holder.
      if (sqlState(error) !== '55P03') throw error;
      return { acquired: false, holder: await this.peekHolder() };
    }
    if (attempt.acquired) this.heartbeat.start();
    return attempt;
  }

  async assertHeld(): Promise<void> {
    if (this.mine === undefined) throw lockLostError('this session does not hold the migration lock');
    if ((await this.extend()) !== 1) throw lockLostError(`lost the migration lock: another run took over the lease in ${TABLES.lock}`);
  }

  checkStatement(): string {
    if (this.mine === undefined) throw lockLostError('this session does not hold the migration lock');
    const expires = `clock_timestamp() + ${Math.floor(this.leaseMs)}::float8 * interval '1 millisecond'`;
    return raiseUnless(`UPDATE ${this.table} SET heartbeat_at = clock_timestamp(), expires_at = ${expires}
      WHERE id = 1 AND run_id = ${pg.escapeLiteral(this.mine.runId)} AND generation = ${pg.escapeLiteral(this.mine.generation)}::bigint;`,
    'FOUND', `lost the migration lock: another run took over the lease in ${TABLES.lock}`);
  }

  async release(): Promise<void> {
    this.heartbeat.stop();
    if (this.mine === undefined) return;
    const { runId, generation } = this.mine;
    this.mine = undefined;
    const { rowCount } = await this.session.query(`UPDATE ${this.table} SET run_id = NULL, actor = NULL, host = NULL, pid = NULL,
        acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL${this.backendColumn ? `, ${BACKEND_COLUMN} = NULL` : ''}
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

  stop(): Promise<void> {
    return this.heartbeat.close();
  }

  inspect(): Promise<LockInspection> {
    return inspectLease(this.session);
  }

  async takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean> {
    await this.heartbeat.ready();
    this.backendColumn = await hasBackendColumn(this.session, this.table);
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
    this.heartbeat.start();
    return true;
  }

  /** Creates the table and its single row once per session; racing creators are tolerated. */
  private async ensureTable(): Promise<void> {
    if (this.ensured) return;
    await this.session.atomically(() => this.session.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id integer PRIMARY KEY CHECK (id = 1), run_id text, actor text, host text, pid integer,
        acquired_at timestamptz, heartbeat_at timestamptz, expires_at timestamptz, generation bigint NOT NULL DEFAULT 0,
        ${BACKEND_COLUMN} integer)`))
      .catch((error: unknown) => {
        if (!isCreateRace(error)) throw error;
      });
    this.backendColumn = await this.addBackendColumn();
    // WHERE NOT EXISTS: a plain read sees the committed row, where ON CONFLICT alone would wait for
    // the row lock of a holder inside its migration transaction.
    await this.session.query(`INSERT INTO ${this.table} (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE id = 1)
      ON CONFLICT (id) DO NOTHING`);
    this.ensured = true;
  }

  /**
   * Adds the backend column to a table made before it existed; returns whether the table has it.
   * Checked first: ALTER TABLE takes an ACCESS EXCLUSIVE lock even when the column exists. A user
   * that does not own the table keeps the lease without it (no busy check, as before); a holder
   * inside its migration transaction makes it wait at most a second (55P03: tried again next poll).
   */
  private async addBackendColumn(): Promise<boolean> {
    if (await hasBackendColumn(this.session, this.table)) return true;
    try {
      await this.session.atomically(async () => {
        await this.session.query(`SET LOCAL lock_timeout = 1000`);
        await this.session.query(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS ${BACKEND_COLUMN} integer`);
      });
      return true;
    } catch (error) {
      // 42501: must be owner of the table.
      if (sqlState(error) === '42501') return false;
      throw error;
    }
  }

  /**
   * Runs in a transaction: FOR UPDATE NOWAIT serialises takers without ever queueing behind a
   * holder. An expired lease is free unless its holder's backend is still busy: the lease expired
   * because its statement outlived it, or its process died while the server executes that statement.
   */
  private async acquire(owner: LockOwner): Promise<LockAttempt> {
    const idle = this.backendColumn ? ` AND NOT ${HOLDER_BUSY}` : '';
    const { rows } = await this.session.query<LeaseRow>(`SELECT run_id, actor, host, pid, acquired_at,
        (run_id IS NULL OR ((expires_at IS NULL OR expires_at < clock_timestamp())${idle})) AS free
      FROM ${this.table} l WHERE id = 1 FOR UPDATE OF l NOWAIT`);
    const row = rows[0];
    if (row !== undefined && !row.free && row.run_id !== owner.runId) return { acquired: false, holder: holderOf(row) };
    const backend = this.backendColumn ? { column: `, ${BACKEND_COLUMN}`, value: ', pg_backend_pid()', update: `, ${BACKEND_COLUMN} = EXCLUDED.${BACKEND_COLUMN}` } : { column: '', value: '', update: '' };
    const taken = await this.session.query<{ generation: string }>(`INSERT INTO ${this.table} AS l
        (id, run_id, actor, host, pid, acquired_at, heartbeat_at, expires_at, generation${backend.column})
      VALUES (1, $1, $2, $4, $5, clock_timestamp(), clock_timestamp(), ${EXPIRES}, 1${backend.value})
      ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id, actor = EXCLUDED.actor, host = EXCLUDED.host,
        pid = EXCLUDED.pid, acquired_at = EXCLUDED.acquired_at, heartbeat_at = EXCLUDED.heartbeat_at,
        expires_at = EXCLUDED.expires_at, generation = l.generation + 1${backend.update}
      RETURNING generation::text AS generation`, [owner.runId, owner.actor, this.leaseMs, owner.host, owner.pid]);
    this.mine = { runId: owner.runId, generation: taken.rows[0]?.generation ?? '' };
    this.lost = false;
    return { acquired: true };
  }

  /** Runs in a transaction: replaces the expected holder with `owner`; the new generation, or `undefined`. */
  private async swap(expected: LeaseClaim, owner: LockOwner): Promise<string | undefined> {
    // Never from under a busy holder backend, whatever the claim: its statement is still running.
    const idle = this.backendColumn ? ` AND NOT ${HOLDER_BUSY}` : '';
    const { rows } = await this.session.query(`SELECT 1 FROM ${this.table} l WHERE id = 1 AND run_id = $1 AND generation = $2::bigint
        AND (NOT $3::boolean OR expires_at IS NULL OR expires_at < clock_timestamp())${idle} FOR UPDATE OF l NOWAIT`, [expected.runId, expected.generation, expected.onlyIfExpired]);
    if (rows.length === 0) return undefined;
    const backend = this.backendColumn ? `, ${BACKEND_COLUMN} = pg_backend_pid()` : '';
    const taken = await this.session.query<{ generation: string }>(`UPDATE ${this.table} SET run_id = $1, actor = $2, host = $4, pid = $5,
        acquired_at = clock_timestamp(), heartbeat_at = clock_timestamp(), expires_at = ${EXPIRES}, generation = generation + 1${backend}
      WHERE id = 1 RETURNING generation::text AS generation`, [owner.runId, owner.actor, this.leaseMs, owner.host, owner.pid]);
    return taken.rows[0]?.generation;
  }

  /** Pushes the expiry forward, on `session`, if the row is still ours; returns the rows changed (1 or 0). */
  private async extend(session: PgSession = this.session): Promise<number> {
    const { rowCount } = await session.query(`UPDATE ${this.table} SET heartbeat_at = clock_timestamp(), expires_at = ${EXPIRES}
      WHERE id = 1 AND run_id = $1 AND generation = $2::bigint`, [this.mine?.runId ?? null, this.mine?.generation ?? '-1', this.leaseMs]);
    return rowCount ?? 0;
  }

  /** A plain read: MVCC shows the last committed holder even while the row is locked. */
  private async peekHolder(): Promise<LockHolderInfo | undefined> {
    const { rows } = await this.session.query<LeaseRow>(`SELECT run_id, actor, host, pid, acquired_at, false AS free FROM ${this.table} WHERE id = 1`);
    return holderOf(rows[0]);
  }

  /** One renewal, on the connection the heartbeat chose (see LeaseHeartbeat). */
  private async beat(on: PgSession): Promise<void> {
    const held = this.mine;
    if (held === undefined) return;
    try {
      const changed = await this.extend(on);
      // A release or take-over may have ended this lease while the beat was on its way.
      if (changed !== 1 && this.mine === held) this.lost = true;
    } catch {
      // A missed beat (statement timeout, row briefly locked) is harmless: the lease is 3 beats long.
    }
  }
}

/**
 * Creates the lease lock of `session`; `leaseMs` is how long a lease lives without a heartbeat.
 * `openHeartbeat` opens the heartbeat's connection, on the first `tryLock` or take-over: when it
 * fails, so does that call (E_CONNECT), and no lease is taken.
 */
export function createLease(session: PgSession, leaseMs: number, openHeartbeat: OpenHeartbeat): RunLock {
  return new PgLease(session, leaseMs, openHeartbeat);
}
