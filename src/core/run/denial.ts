/**
 * Leaves an audit row for a refused command. The row is the only write: it goes in only when the
 * metadata tables already exist (a refusal must not create them), under the lock so the hash chain
 * stays linear.
 */
import type { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { RunContext } from '../model.js';
import type { Driver } from '../ports.js';
import { createAuditChain } from './audit.js';
import { acquireLock } from './lock.js';
import { auditEntry } from './records.js';

/** Appends an audit row (`access.denied` unless `options.event` says otherwise) for `denial`; returns whether it could. Never throws. */
export async function recordDenial(driver: Driver, context: RunContext, denial: MigratorError, options: { readonly lockTimeoutMs: number; readonly emit: EventSink; readonly signal: AbortSignal; readonly event?: string }): Promise<boolean> {
  try {
    await acquireLock(driver, { runId: context.runId, host: context.host, pid: context.pid, actor: context.actor }, { timeoutMs: options.lockTimeoutMs, emit: options.emit, signal: options.signal });
  } catch {
    return false;
  }
  try {
    const chain = createAuditChain(driver, await driver.readAuditHead());
    await chain.append(auditEntry(context, { event: options.event ?? 'access.denied', outcome: 'failure', detail: { code: denial.code, message: denial.message, ...denial.details } }));
    return true;
  } catch {
    return false;
  } finally {
    await driver.unlock().catch(() => undefined);
  }
}
