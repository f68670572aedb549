/**
 * Takes the run-wide lock by polling the driver's one-shot `tryLock` with jittered exponential
 * backoff. Never a blocking lock call: on PostgreSQL the blocking advisory lock deadlocks with
 * CREATE INDEX CONCURRENTLY, and a blocked call cannot be interrupted or time out cleanly.
 */
import { MigratorError } from '../errors.js';
import type { EventSink, LockHolderInfo } from '../events.js';
import type { Driver, LockOwner } from '../ports.js';

export interface AcquireOptions {
  readonly timeoutMs: number;
  readonly emit: EventSink;
  readonly signal?: AbortSignal | undefined;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

const FIRST_DELAY_MS = 25;
const MAX_DELAY_MS = 1_000;
const WAIT_REPORT_EVERY_MS = 5_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `user U, host H, pid P, since T, run R`, as far as `holder` says; for lock messages. */
export function describeHolder(holder: LockHolderInfo | undefined): string {
  if (!holder) return 'another session (the engine does not say which)';
  const parts = [
    holder.user && `user ${holder.user}`,
    holder.host && `host ${holder.host}`,
    holder.pid !== undefined && `pid ${holder.pid}`,
    holder.since && `since ${holder.since}`,
    holder.owner && `run ${holder.owner}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'another session';
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Waits for the lock; throws E_LOCK_TIMEOUT naming the holder, or E_INTERRUPTED on abort. */
export async function acquireLock(driver: Driver, owner: LockOwner, options: AcquireOptions): Promise<{ waitedMs: number }> {
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const started = now();
  let delay = FIRST_DELAY_MS;
  let lastReport = -Infinity;
  for (;;) {
    const attempt = await driver.tryLock(owner);
    const waitedMs = now() - started;
    if (attempt.acquired) {
      options.emit({ type: 'lock.acquired', waitedMs });
      return { waitedMs };
    }
    if (waitedMs >= options.timeoutMs) {
      throw new MigratorError('E_LOCK_TIMEOUT', `could not take the migration lock on ${driver.label} within ${formatDuration(options.timeoutMs)}: it is held by ${describeHolder(attempt.holder)}`, {
        hint: 'Wait for the other run to finish and try again, or raise --lock-timeout. A dead holder frees the lock by itself: PostgreSQL and MySQL session locks end with its connection; a lease row expires (at once when the holder was a process on this host that is gone).',
        details: { holder: attempt.holder ?? null, waitedMs },
      });
    }
    if (options.signal?.aborted) throw new MigratorError('E_INTERRUPTED', 'interrupted while waiting for the migration lock');
    if (waitedMs - lastReport >= WAIT_REPORT_EVERY_MS) {
      options.emit({ type: 'lock.waiting', waitedMs, holder: attempt.holder });
      lastReport = waitedMs;
    }
    // Full jitter keeps several runners started together from retrying in lock step.
    await sleep(Math.min(delay * (0.5 + random()), options.timeoutMs - waitedMs + 1));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
