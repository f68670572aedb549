/**
 * What the PostgreSQL driver needs from its run-wide lock, whichever strategy implements it:
 * the session advisory lock (advisory.ts) or the lease row in migrator_lock (lease.ts).
 */
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
