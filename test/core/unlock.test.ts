import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import type { LockHolderInfo, MigratorEvent } from '../../src/core/events.js';
import type { RunContext } from '../../src/core/model.js';
import type { LeaseState, LockInspection } from '../../src/core/ports.js';
import { auditHash } from '../../src/core/run/audit.js';
import { judgeLock, previewUnlock, runUnlock } from '../../src/core/run/unlock.js';
import { createFakeDriver, type FakeDriver } from '../support/fake-driver.js';

const holder: LockHolderInfo = { owner: 'run-old', host: 'ci-7', pid: 4242, user: 'alice', since: '2026-03-01T11:59:00.000Z' };
const context: RunContext = {
  runId: 'run-unlock', actor: 'oncall', host: 'laptop', pid: 77, environment: 'prod', command: 'migrate unlock',
  toolVersion: '0.0.0-test', now: () => new Date('2026-03-01T12:05:00.000Z'),
};

function lease(overrides: Partial<LeaseState> = {}): LockInspection {
  return {
    strategy: 'lease', resource: 'migrator_lock row 1', state: 'held', holder, releasable: true,
    lease: { runId: 'run-old', generation: '41', heartbeatAt: '2026-03-01T12:00:00.000Z', expiresAt: '2026-03-01T12:01:00.000Z', expired: false, process: 'unknown', ...overrides },
  };
}

const advisory: LockInspection = {
  strategy: 'advisory', resource: 'advisory lock 123', state: 'held', holder, releasable: false, reason: 'a session lock ends with its session',
  session: { id: 9001, applicationName: 'migrator 0.1.0 ci-7 4242', client: '10.0.0.7:5555', connectedAt: '2026-03-01T11:58:00.000Z', state: 'active', terminate: 'SELECT pg_terminate_backend(9001)' },
};
const free: LockInspection = { strategy: 'lease', resource: 'migrator_lock row 1', state: 'free' };

function refusal(inspection: LockInspection, force = false): MigratorError {
  const verdict = judgeLock(inspection, { force, label: 'Fake db' });
  if (verdict.action !== 'refuse') throw new Error(`expected a refusal, got ${verdict.action}`);
  return verdict.error;
}

describe('judgeLock', () => {
  it.each([
    ['free', free, false, { action: 'nothing' }],
    ['free, --force', free, true, { action: 'nothing' }],
    ['holder process gone', lease({ process: 'gone' }), false, { action: 'break', reason: 'holder-gone', claim: { runId: 'run-old', generation: '41', onlyIfExpired: false } }],
    ['gone and expired', lease({ process: 'gone', expired: true }), false, { action: 'break', reason: 'holder-gone', claim: { runId: 'run-old', generation: '41', onlyIfExpired: false } }],
    ['expired, process unknown', lease({ expired: true }), false, { action: 'break', reason: 'expired', claim: { runId: 'run-old', generation: '41', onlyIfExpired: true } }],
    ['expired, --force', lease({ expired: true }), true, { action: 'break', reason: 'expired', claim: { runId: 'run-old', generation: '41', onlyIfExpired: true } }],
    ['unknown, not expired, --force', lease(), true, { action: 'break', reason: 'forced', claim: { runId: 'run-old', generation: '41', onlyIfExpired: false } }],
  ] as const)('%s', (_name, inspection, force, expected) => {
    expect(judgeLock(inspection, { force, label: 'Fake db' })).toEqual(expected);
  });

  it('refuses a lease of another host before it expires, naming holder, expiry and the next steps', () => {
    const error = refusal(lease());
    expect(error.code).toBe('E_LOCK_HELD');
    expect(error.category).toBe('lockTimeout');
    expect(error.message).toBe('the migration lock on Fake db (migrator_lock row 1) is held by user alice, host ci-7, pid 4242, since 2026-03-01T11:59:00.000Z, run run-old: its lease runs until 2026-03-01T12:01:00.000Z, and whether pid 4242 on host ci-7 is alive cannot be checked from here');
    expect(error.hint).toContain('Wait until 2026-03-01T12:01:00.000Z');
    expect(error.hint).toContain('ps -p 4242');
    expect(error.hint).toContain('migrate unlock --force');
    expect(error.hint).toContain('E_LOCK_LOST');
    expect(error.details).toMatchObject({ released: false, lock: { strategy: 'lease', state: 'held', holder, lease: { generation: '41' } } });
  });

  it.each([false, true])('refuses a lease held by a live process on this host, --force %s', (force) => {
    for (const expired of [false, true]) {
      const error = refusal(lease({ process: 'alive', expired }), force);
      expect(error.code).toBe('E_LOCK_HELD');
      expect(error.message).toContain('its process 4242 is still running on this host');
      expect(error.hint).toContain('kill 4242');
      expect(error.hint).toContain('--force does not override a live process');
    }
  });

  const busy = { status: 'busy', session: { id: 9002, applicationName: 'migrator 0.1.0 ci-7 4242', state: 'active', terminate: 'SELECT pg_terminate_backend(9002)' } } as const;

  it.each([false, true])('refuses a lease whose holder connection is still busy, expired or not, even when its process is gone, --force %s', (force) => {
    for (const state of [{ expired: true }, { expired: false }, { expired: true, process: 'gone' as const }]) {
      const error = refusal(lease({ ...state, connection: busy }), force);
      expect(error.code).toBe('E_LOCK_HELD');
      expect(error.message).toContain('server session 9002 (application "migrator 0.1.0 ci-7 4242", now active) is still busy');
      if (state.expired) expect(error.message).toContain('its lease expired at 2026-03-01T12:01:00.000Z, but its server session');
      expect(error.hint).toContain('--force does not override a busy session');
      expect(error.hint).toContain('SELECT pg_terminate_backend(9002)');
      expect(error.details).toMatchObject({ lock: { lease: { connection: { status: 'busy', session: { id: 9002 } } } } });
    }
  });

  it.each(['idle', 'closed', 'unknown'] as const)('judges a lease whose holder connection is %s as before', (status) => {
    expect(judgeLock(lease({ expired: true, connection: { status } }), { force: false, label: 'Fake db' })).toMatchObject({ action: 'break', reason: 'expired' });
    expect(judgeLock(lease({ connection: { status } }), { force: true, label: 'Fake db' })).toMatchObject({ action: 'break', reason: 'forced' });
  });

  it.each([false, true])('refuses an advisory lock with the holder session and the SQL to end it, --force %s', (force) => {
    const error = refusal(advisory, force);
    expect(error.code).toBe('E_LOCK_HELD');
    expect(error.message).toContain('server session 9001 (application "migrator 0.1.0 ci-7 4242", client 10.0.0.7:5555, connected since 2026-03-01T11:58:00.000Z, now active)');
    expect(error.hint).toContain('never stale');
    expect(error.hint).toContain('SELECT pg_terminate_backend(9001)');
    expect(error.details).toMatchObject({ lock: { strategy: 'advisory', releasable: false, session: { id: 9001 } } });
  });
});

function harness(inspection: LockInspection, withMetadata = true): { driver: FakeDriver; events: MigratorEvent[] } {
  const driver = createFakeDriver({ lockInspection: inspection });
  if (withMetadata) driver.format = 1;
  return { driver, events: [] };
}

describe('runUnlock', () => {
  it('does nothing when no lock is held', async () => {
    const { driver, events } = harness(free);
    await expect(runUnlock({ driver, context, emit: (e) => events.push(e), force: false }))
      .resolves.toEqual({ lock: { strategy: 'lease', resource: 'migrator_lock row 1', state: 'free', holder: null }, holder: null, released: false, because: null, audited: false });
    expect(driver.calls).toEqual(['inspectLock']);
    expect(events).toEqual([]);
  });

  it('takes over a stale lease, audits it under the lock, then releases it', async () => {
    const { driver, events } = harness(lease({ process: 'gone' }));
    const result = await runUnlock({ driver, context, emit: (e) => events.push(e), force: false });
    expect(result).toMatchObject({ released: true, because: 'holder-gone', audited: true, holder });
    expect(driver.calls).toEqual(['inspectLock', 'breakLock', 'readState', 'readAuditHead', 'begin', 'appendAudit:unlock', 'assertLock', 'commit', 'unlock']);
    expect(driver.writesWithoutLock).toEqual([]);
    expect(driver.lockInspection.state).toBe('free');
    expect(events).toEqual([{ type: 'lock.broken', holder, reason: 'holder-gone' }, { type: 'lock.released' }]);
    const [row] = driver.audit;
    expect(row).toMatchObject({ event: 'unlock', outcome: 'success', actor: 'oncall', runId: 'run-unlock', environment: 'prod', prevHash: '' });
    expect(JSON.parse(row?.detail ?? '{}')).toEqual({
      strategy: 'lease', resource: 'migrator_lock row 1', state: 'held', holder, because: 'holder-gone', forced: false,
      lease: { runId: 'run-old', generation: '41', heartbeatAt: '2026-03-01T12:00:00.000Z', expiresAt: '2026-03-01T12:01:00.000Z', expired: false, process: 'gone' },
    });
    if (row !== undefined) expect(row.hash).toBe(auditHash('', row));
  });

  it('records --force, and the operator\'s --reason beside why the lock was judged stale', async () => {
    const { driver } = harness(lease());
    await expect(runUnlock({ driver, context: { ...context, reason: 'INC-7 runner lost' }, emit: () => undefined, force: true })).resolves.toMatchObject({ released: true, because: 'forced' });
    expect(JSON.parse(driver.audit[0]?.detail ?? '{}')).toMatchObject({ because: 'forced', forced: true, reason: 'INC-7 runner lost' });
  });

  it('breaks an expired lease only while it stays expired', async () => {
    const { driver } = harness(lease({ expired: true }));
    await runUnlock({ driver, context, emit: () => undefined, force: false });
    expect(JSON.parse(driver.audit[0]?.detail ?? '{}')).toMatchObject({ because: 'expired', forced: false });
  });

  it('creates nothing and audits nothing without metadata tables, but still releases the lease', async () => {
    const { driver } = harness(lease({ expired: true }), false);
    await expect(runUnlock({ driver, context, emit: () => undefined, force: false })).resolves.toMatchObject({ released: true, audited: false });
    expect(driver.calls).toEqual(['inspectLock', 'breakLock', 'readState', 'unlock']);
    expect(driver.format).toBeUndefined();
    expect(driver.lockInspection.state).toBe('free');
  });

  it('inspects again when the lease changed before the compare-and-swap: a released lock is then nothing to do', async () => {
    const { driver } = harness(lease({ process: 'gone' }));
    const inspect = driver.inspectLock.bind(driver);
    let first = true;
    driver.inspectLock = async () => {
      const seen = await inspect();
      // The holder releases it right after unlock looked.
      if (first) driver.lockInspection = free;
      first = false;
      return seen;
    };
    await expect(runUnlock({ driver, context, emit: () => undefined, force: false })).resolves.toMatchObject({ released: false, audited: false });
    expect(driver.calls).toEqual(['inspectLock', 'breakLock', 'inspectLock']);
    expect(driver.audit).toEqual([]);
  });

  it('gives up with E_LOCK_HELD when the lease changes at every attempt, writing nothing', async () => {
    const { driver } = harness(lease({ process: 'gone' }));
    let generation = 41;
    driver.breakLock = async () => {
      driver.calls.push('breakLock');
      generation += 1;
      driver.lockInspection = lease({ process: 'gone', generation: String(generation) });
      return false;
    };
    await expect(runUnlock({ driver, context, emit: () => undefined, force: false })).rejects.toMatchObject({ code: 'E_LOCK_HELD' });
    expect(driver.calls.filter((c) => c === 'breakLock')).toHaveLength(3);
    expect(driver.audit).toEqual([]);
  });

  it('refuses without writing anything when the holder is alive', async () => {
    const { driver } = harness(lease({ process: 'alive' }));
    await expect(runUnlock({ driver, context, emit: () => undefined, force: true })).rejects.toMatchObject({ code: 'E_LOCK_HELD' });
    expect(driver.calls).toEqual(['inspectLock']);
  });

  it('releases the lease even when the audit write fails, and reports the audit failure', async () => {
    const { driver } = harness(lease({ process: 'gone' }));
    driver.appendAudit = async () => {
      throw new Error('disk full');
    };
    await expect(runUnlock({ driver, context, emit: () => undefined, force: false })).rejects.toThrow('disk full');
    expect(driver.calls.slice(-2)).toEqual(['rollback', 'unlock']);
    expect(driver.lockInspection.state).toBe('free');
  });
});

describe('previewUnlock', () => {
  it('judges without writing: the verdict, and the result to show when there is nothing to do', async () => {
    const { driver } = harness(free);
    await expect(previewUnlock({ driver, force: false })).resolves.toEqual({
      verdict: { action: 'nothing' },
      result: { lock: { strategy: 'lease', resource: 'migrator_lock row 1', state: 'free', holder: null }, holder: null, released: false, because: null, audited: false },
    });
    const stale = harness(lease({ expired: true })).driver;
    await expect(previewUnlock({ driver: stale, force: false })).resolves.toMatchObject({ verdict: { action: 'break', reason: 'expired' } });
    expect(stale.calls).toEqual(['inspectLock']);
    await expect(previewUnlock({ driver: harness(advisory).driver, force: true })).rejects.toBeInstanceOf(MigratorError);
  });
});
