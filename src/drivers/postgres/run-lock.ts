/**
 * What the PostgreSQL driver needs from its run-wide lock, whichever strategy implements it:
 * the session advisory lock (advisory.ts) or the lease row in migrator_lock (lease.ts).
 */
import pg from 'pg';
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';
import { MigratorError } from '../../core/errors.js';

export interface RunLock {
  /** Implements `Driver.tryLock`: one attempt, never waits. */
  tryLock(owner: LockOwner): Promise<LockAttempt>;
  /** Implements `Driver.assertLock`: E_LOCK_LOST unless this session still holds the lock. */
  assertHeld(): Promise<void>;
  /** Implements `Driver.unlock`: no-op when never held, E_LOCK_LOST when the engine says it was not held. */
  release(): Promise<void>;
  /**
   * Runs a history write so that it commits only while the lock is still ours (fencing): the lease
   * checks its generation in the same transaction. The advisory lock runs `write` as it is.
   */
  fenced(write: () => Promise<void>): Promise<void>;
  /**
   * A statement for the transaction about to commit that fails with SQLSTATE {@link LOCK_LOST_STATE}
   * unless this session still holds the lock (the lease extends itself on the way, as `assertHeld`
   * does): `assertHeld` without a round trip of its own, sent with the COMMIT (`Driver.commitStep`).
   * Throws E_LOCK_LOST at once when this session never took the lock.
   */
  checkStatement(): string;
  /** Implements `Driver.lockLost` (the driver adds a dead connection): cheap, no round trip. */
  readonly lost: boolean;
  /** Stops any timer and closes what the lock opened (the lease's heartbeat connection); on close. Never throws. */
  stop(): Promise<void>;
  /** Implements `Driver.inspectLock`: reads only, creates nothing. */
  inspect(): Promise<LockInspection>;
  /** Implements `Driver.breakLock`: the lease's compare-and-swap; E_NOT_SUPPORTED for the advisory lock. */
  takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean>;
}

/** The E_LOCK_LOST error of both strategies. */
export function lockLostError(message: string): MigratorError {
  return new MigratorError('E_LOCK_LOST', message, {
    hint: 'Another run may be migrating this database now: check what it applied with "migrate status", then retry.',
  });
}

/** SQLSTATE raised by a {@link RunLock.checkStatement} that found the lock gone. */
export const LOCK_LOST_STATE = 'MGLCK';

/**
 * A DO block that runs `statements`, then raises {@link LOCK_LOST_STATE} with `message` unless
 * `condition` (a PL/pgSQL boolean, e.g. FOUND) holds. DO takes no parameters: callers inline only
 * numbers and escaped literals.
 */
export function raiseUnless(statements: string, condition: string, message: string): string {
  return `DO $migrator_lock$BEGIN ${statements} IF NOT (${condition}) THEN RAISE EXCEPTION USING ERRCODE = '${LOCK_LOST_STATE}', MESSAGE = ${pg.escapeLiteral(message)}; END IF; END$migrator_lock$`;
}
