/**
 * What `migrate unlock` may do about the run lock as inspected: pure, so every case is a table row
 * in a unit test. A lease is stale when its holder is shown gone (same pid namespace, no such
 * process) or its lease expired; `--force` also breaks one whose holder cannot be checked from
 * here. Nothing breaks a lease held by a live process on this host, nor one whose holder's database
 * connection is still busy (a statement running: it outlives a lost lease), nor an advisory lock,
 * which belongs to its server session and is never stale.
 */
import { MigratorError } from '../errors.js';
import type { LockInspection, LeaseClaim, LockSession } from '../ports.js';
import { describeHolder } from './lock.js';

/** Why a lease may be broken: its process is gone, it expired, or the operator said so (`--force`). */
export type StaleReason = 'holder-gone' | 'expired' | 'forced';

/** Nothing held; break the lease (with the claim to compare-and-swap); or refuse (E_LOCK_HELD). */
export type UnlockVerdict =
  | { readonly action: 'nothing' }
  | { readonly action: 'break'; readonly reason: StaleReason; readonly claim: LeaseClaim }
  | { readonly action: 'refuse'; readonly error: MigratorError };

type Held = Extract<LockInspection, { readonly state: 'held' }>;
type HeldLease = Extract<Held, { readonly strategy: 'lease' }>;
type HeldAdvisory = Extract<Held, { readonly strategy: 'advisory' }>;

/** The lock as `--json` and E_LOCK_HELD details show it. */
export function lockFacts(inspection: LockInspection): Record<string, unknown> {
  if (inspection.state === 'free') return { strategy: inspection.strategy, resource: inspection.resource, state: 'free', holder: null };
  const extra = inspection.strategy === 'lease' ? { lease: inspection.lease } : { session: inspection.session, releasable: false };
  return { strategy: inspection.strategy, resource: inspection.resource, state: 'held', holder: inspection.holder, ...extra };
}

function held(label: string, inspection: Held, message: string, hint: string): MigratorError {
  return new MigratorError('E_LOCK_HELD', `the migration lock on ${label} (${inspection.resource}) is held by ${describeHolder(inspection.holder)}: ${message}`, {
    hint,
    details: { lock: lockFacts(inspection), released: false },
  });
}

/** `server session 42 (application "...", client ..., connected since ..., now active)`. */
function describeSession(session: LockSession): string {
  const about = [
    session.applicationName && `application "${session.applicationName}"`,
    session.client && `client ${session.client}`,
    session.connectedAt && `connected since ${session.connectedAt}`,
    session.state && `now ${session.state}`,
  ].filter(Boolean).join(', ');
  return `server session ${session.id}${about ? ` (${about})` : ''}`;
}

function refuseAdvisory(label: string, inspection: HeldAdvisory): MigratorError {
  const { session } = inspection;
  return held(label, inspection, `${describeSession(session)} holds it`,
    `${inspection.reason.charAt(0).toUpperCase()}${inspection.reason.slice(1)}, so it is never stale and no command can release it, not even with --force. If that run is still working, let it finish ("migrate status" shows its progress). If its migrate process is gone but the session lives on (a statement still running on the server), end the session as a privileged user: ${session.terminate}`);
}

function refuseLive(label: string, inspection: HeldLease): MigratorError {
  const pid = inspection.holder.pid ?? '?';
  return held(label, inspection, `its process ${pid} is still running on this host`,
    `A run is in progress: let it finish ("migrate status" shows what it applied). If it is hung, stop that process first (kill ${pid}), then run "migrate unlock" again. --force does not override a live process on this host.`);
}

function refuseBusy(label: string, inspection: HeldLease, session: LockSession | undefined): MigratorError {
  const { holder, lease } = inspection;
  const whose = lease.expired ? `its lease expired at ${lease.expiresAt ?? '?'}, but its` : 'its';
  const end = session ? `end that session as a privileged user: ${session.terminate}` : 'end that session as a privileged user';
  return held(label, inspection, `${whose} ${session ? describeSession(session) : 'server session'} is still busy`,
    `That run is still executing a statement, or its migrate process died while the server still executes its last statement: either way the statement is still changing the database, and another run must not start beside it. --force does not override a busy session. Let the statement finish ("migrate status" shows the run's progress). If the migrate process is gone (ps -p ${holder.pid ?? '<pid>'} on host ${holder.host ?? '?'}) and the statement must stop, ${end}; then run "migrate unlock" again.`);
}

function refuseUnchecked(label: string, inspection: HeldLease): MigratorError {
  const { holder, lease } = inspection;
  const where = `pid ${holder.pid ?? '?'} on host ${holder.host ?? '?'}`;
  const until = lease.expiresAt ?? 'its expiry';
  return held(label, inspection, `its lease runs until ${until}, and whether ${where} is alive cannot be checked from here`,
    `Wait until ${until}: the next run then takes the lease over by itself. Or check on that host that the process is gone (ps -p ${holder.pid ?? '<pid>'}), then run "migrate unlock --force". Should that run be alive after all, fencing stops it with E_LOCK_LOST at its next history write; a statement it is executing may still complete.`);
}

/**
 * Judges `inspection` (of the session labelled `label`). `force` breaks a lease whose holder
 * cannot be checked from here; it never breaks one held by a live local process, nor an advisory lock.
 */
export function judgeLock(inspection: LockInspection, options: { readonly force: boolean; readonly label: string }): UnlockVerdict {
  if (inspection.state === 'free') return { action: 'nothing' };
  if (inspection.strategy === 'advisory') return { action: 'refuse', error: refuseAdvisory(options.label, inspection) };
  const { lease } = inspection;
  if (lease.process === 'alive') return { action: 'refuse', error: refuseLive(options.label, inspection) };
  // A statement still running on the holder's connection outlives any lease: fencing stops its
  // next write, not the statement. Checked before `gone`: a dead process's last statement runs on.
  if (lease.connection?.status === 'busy') return { action: 'refuse', error: refuseBusy(options.label, inspection, lease.connection.session) };
  const claim = (onlyIfExpired: boolean): LeaseClaim => ({ runId: lease.runId, generation: lease.generation, onlyIfExpired });
  // A dead process cannot renew its lease: only the holder and generation need to match.
  if (lease.process === 'gone') return { action: 'break', reason: 'holder-gone', claim: claim(false) };
  // An expired holder may still come back and renew: break it only while it stays expired.
  if (lease.expired) return { action: 'break', reason: 'expired', claim: claim(true) };
  if (options.force) return { action: 'break', reason: 'forced', claim: claim(false) };
  return { action: 'refuse', error: refuseUnchecked(options.label, inspection) };
}
