/**
 * Takes the run lock for a command that writes (up, down, baseline, repair, verify --accept), and
 * audits the wait when it times out. The timed-out run does not hold the lock, so its
 * `lock.timeout` row is appended next to the holder's rows: that is safe only because
 * prev_hash is unique (metadata format 2, a forked append fails and is re-chained) and where the
 * engine lets the holder see the row from inside its open transaction
 * (`capabilities.auditAppendWithoutLock`). Elsewhere the timeout is only logged. docs/audit.md.
 */
import { MigratorError } from '../errors.js';
import type { RunContext } from '../model.js';
import type { Driver } from '../ports.js';
import { createAuditChain } from './audit.js';
import { acquireLock, type AcquireOptions } from './lock.js';
import { auditEntry } from './records.js';

/** The metadata format from which migrator_audit.prev_hash is unique. */
export const UNIQUE_CHAIN_FORMAT = 2;

/**
 * `acquireLock` for `context`'s run. On E_LOCK_TIMEOUT, appends a `lock.timeout` audit row when it
 * safely can (see the module comment), then rethrows the timeout.
 */
export async function takeRunLock(driver: Driver, context: RunContext, options: AcquireOptions): Promise<{ waitedMs: number }> {
  try {
    return await acquireLock(driver, { runId: context.runId, host: context.host, pid: context.pid, actor: context.actor }, options);
  } catch (error) {
    if (error instanceof MigratorError && error.code === 'E_LOCK_TIMEOUT') await auditLockTimeout(driver, context, error);
    throw error;
  }
}

/**
 * Appends the `lock.timeout` row; returns whether it did. Never throws, never creates anything:
 * not without metadata tables of the unique-chain format, nor where the engine cannot take it.
 * Waits at most the engine's lock wait when the holder has an audit row of its own uncommitted.
 */
export async function auditLockTimeout(driver: Driver, context: RunContext, timeout: MigratorError): Promise<boolean> {
  if (driver.capabilities.auditAppendWithoutLock !== true) return false;
  try {
    const { format } = await driver.readState();
    if (format === undefined || format < UNIQUE_CHAIN_FORMAT) return false;
    const chain = createAuditChain(driver, await driver.readAuditHead());
    await chain.append(auditEntry(context, { event: 'lock.timeout', outcome: 'failure', durationMs: Math.round(Number(timeout.details['waitedMs'] ?? 0)), detail: { code: timeout.code, message: timeout.message, holder: timeout.details['holder'] ?? null } }));
    return true;
  } catch {
    return false;
  }
}
