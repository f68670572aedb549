/**
 * The run-wide lock of a MySQL session, behind one interface for both strategies: `advisory`
 * (GET_LOCK, see advisory.ts) and `table` (a lease row in migrator_lock, see lease.ts).
 */
import { MigratorError } from '../../core/errors.js';
import type { LeaseClaim, LockAttempt, LockInspection, LockOwner } from '../../core/ports.js';

/** What the driver asks of a lock strategy. */
export interface RunLock {
  /** Implements `Driver.tryLock`: one attempt, never waits; re-entrant for this session. */
  tryLock(owner: LockOwner): Promise<LockAttempt>;
  /** Implements `Driver.assertLock`: E_LOCK_LOST unless this session still holds the lock. */
  assertHeld(): Promise<void>;
  /**
   * Called inside the transaction of every history write: E_LOCK_LOST when the lock moved on.
   * The lease checks its fencing generation; GET_LOCK needs nothing (only the session can lose it).
   */
  fence(): Promise<void>;
  /** Whether `fence` checks anything now (the lease while this session holds it): else a history write needs no transaction of its own. */
  fences(): boolean;
  /** Implements `Driver.unlock`: no-op when never held, E_LOCK_LOST when the engine says it was not. */
  release(): Promise<void>;
  /** Implements `Driver.lockLost`: cheap, no round trip. */
  lost(): boolean;
  /** Stops background work and closes what the lock opened (the lease's heartbeat connection); on close. Never throws. */
  stop(): Promise<void>;
  /** Implements `Driver.inspectLock`: reads only, creates nothing. */
  inspect(): Promise<LockInspection>;
  /** Implements `Driver.breakLock`: the lease's compare-and-swap; E_NOT_SUPPORTED for GET_LOCK. */
  takeOver(expected: LeaseClaim, owner: LockOwner): Promise<boolean>;
}

/** The error of a lock found gone. */
export function lockLostError(message: string, hint: string): MigratorError {
  return new MigratorError('E_LOCK_LOST', message, { hint });
}

/** Epoch milliseconds by the server's clock, as SQL: the one clock every runner shares. */
export const SERVER_NOW_MS = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) DIV 1000)";
