/**
 * `migrate unlock`: release a stale run lock after checking that its holder is gone. The lease is
 * taken over with a compare-and-swap of exactly the holder inspected (the driver's `breakLock`),
 * which bumps the fencing generation, so a holder that comes back fails closed with E_LOCK_LOST.
 * The `unlock` audit row is then written under the lock this run now holds, so no new run can
 * interleave its own audit rows, and the lease is released. See docs/unlock.md.
 */
import { MigratorError } from '../errors.js';
import type { EventSink, LockHolderInfo } from '../events.js';
import type { RunContext } from '../model.js';
import type { Driver, LockInspection } from '../ports.js';
import { createAuditChain } from './audit.js';
import { auditEntry } from './records.js';
import { judgeLock, lockFacts, type StaleReason, type UnlockVerdict } from './unlock-verdict.js';
import { inLockedTransaction } from './locked-transaction.js';

export { judgeLock, lockFacts, type StaleReason, type UnlockVerdict } from './unlock-verdict.js';

/** What `runUnlock` needs; the CLI builds it from the session. */
export interface UnlockInput {
  /** A writable session (a read-only one suffices for `previewUnlock`). */
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  /** `--force`: also break a lease whose holder cannot be checked from here, before it expires. */
  readonly force: boolean;
}

/** What `migrate unlock` did: rendered as text, or as the `--json` document. */
export interface UnlockResult {
  /** The lock as found: strategy, resource, state, holder, and the lease or server session. */
  readonly lock: Readonly<Record<string, unknown>>;
  readonly holder: LockHolderInfo | null;
  /** Whether this run released a lease. */
  readonly released: boolean;
  /** Why it was judged stale, when released (`because`: `--reason` is the operator's own word). */
  readonly because: StaleReason | null;
  /** Whether an `unlock` audit row was written (not when the metadata tables do not exist). */
  readonly audited: boolean;
}

// A lease that changes between inspection and compare-and-swap (released, renewed, taken by a new
// run) is inspected again; one that keeps changing belongs to someone active.
const ATTEMPTS = 3;

function outcome(inspection: LockInspection, released: boolean, because: StaleReason | null, audited: boolean): UnlockResult {
  return { lock: lockFacts(inspection), holder: inspection.state === 'held' ? inspection.holder : null, released, because, audited };
}

/**
 * Inspects and judges the lock without writing anything (a read-only session will do). Returns the
 * verdict with the result to report when there is nothing to do.
 *
 * @throws MigratorError E_LOCK_HELD (exit 7) when the lock is held and may not be broken.
 */
export async function previewUnlock(input: Pick<UnlockInput, 'driver' | 'force'>): Promise<{ readonly verdict: UnlockVerdict; readonly result: UnlockResult }> {
  const inspection = await input.driver.inspectLock();
  const verdict = judgeLock(inspection, { force: input.force, label: input.driver.label });
  if (verdict.action === 'refuse') throw verdict.error;
  return { verdict, result: outcome(inspection, false, null, false) };
}

/**
 * Releases the lock when it is stale (or `force` allows it), audits it, and returns what was done;
 * `released: false` when nobody held it.
 *
 * @throws MigratorError E_LOCK_HELD (exit 7) when it is held and may not be broken, or kept
 *   changing while this run tried.
 */
export async function runUnlock(input: UnlockInput): Promise<UnlockResult> {
  const { driver, context } = input;
  const owner = { runId: context.runId, host: context.host, pid: context.pid, actor: context.actor };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const inspection = await driver.inspectLock();
    const verdict = judgeLock(inspection, { force: input.force, label: driver.label });
    if (verdict.action === 'refuse') throw verdict.error;
    if (verdict.action === 'nothing' || inspection.state === 'free') return outcome(inspection, false, null, false);
    if (!(await driver.breakLock(verdict.claim, owner))) continue;
    input.emit({ type: 'lock.broken', holder: inspection.holder, reason: verdict.reason });
    let audited = false;
    let succeeded = false;
    try {
      audited = await auditUnlock(driver, context, inspection, verdict.reason);
      succeeded = true;
    } finally {
      // As in repair: after a success, a refused release means the lease moved on meanwhile.
      await driver.unlock().then(() => input.emit({ type: 'lock.released' }), (error: unknown) => {
        if (succeeded) throw error;
      });
    }
    return outcome(inspection, true, verdict.reason, audited);
  }
  throw new MigratorError('E_LOCK_HELD', `the migration lock on ${driver.label} changed each time unlock tried to take it over: another run is active`, {
    hint: 'Run "migrate status" to see what is happening, and "migrate unlock" again once it is quiet.',
  });
}

/** Appends the `unlock` audit row under the taken-over lease; `false` when there are no metadata tables. */
async function auditUnlock(driver: Driver, context: RunContext, inspection: LockInspection, because: StaleReason): Promise<boolean> {
  // Like every refusal and repair, unlock creates nothing: no metadata tables, no audit row.
  if ((await driver.readState()).format === undefined) return false;
  const chain = createAuditChain(driver, await driver.readAuditHead());
  await inLockedTransaction(driver, () => chain.append(auditEntry(context, { event: 'unlock', outcome: 'success', detail: { ...lockFacts(inspection), because, forced: because === 'forced' } })));
  return true;
}
