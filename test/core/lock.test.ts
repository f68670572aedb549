import { describe, expect, it } from 'vitest';
import type { LockHolderInfo, MigratorEvent } from '../../src/core/events.js';
import type { LockOwner } from '../../src/core/ports.js';
import { acquireLock } from '../../src/core/run/lock.js';
import type { AcquireOptions } from '../../src/core/run/lock.js';
import { createFakeDriver } from '../support/fake-driver.js';
import type { FakeDriver } from '../support/fake-driver.js';

const owner: LockOwner = { runId: 'run-me', host: 'laptop', pid: 1, actor: 'me' };
const holder: LockHolderInfo = { owner: 'run-other', host: 'ci-7', pid: 4242, user: 'alice', since: '2026-03-01T11:59:00.000Z' };

/** A fake clock that advances only when the lock loop sleeps. */
function harness(options: { random?: number; timeoutMs?: number; onSleep?: (count: number) => void; signal?: AbortSignal } = {}) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const events: MigratorEvent[] = [];
  const acquire: AcquireOptions = {
    timeoutMs: options.timeoutMs ?? 60_000,
    emit: (event) => events.push(event),
    signal: options.signal,
    now: () => clock,
    random: () => options.random ?? 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      options.onSleep?.(sleeps.length);
    },
  };
  return { acquire, sleeps, events, waited: () => clock - 1_000_000 };
}

const tries = (driver: FakeDriver): number => driver.calls.filter((c) => c === 'tryLock').length;

describe('acquireLock', () => {
  it('takes a free lock at once', async () => {
    const driver = createFakeDriver();
    const { acquire, sleeps, events } = harness();
    await expect(acquireLock(driver, owner, acquire)).resolves.toEqual({ waitedMs: 0 });
    expect(events).toEqual([{ type: 'lock.acquired', waitedMs: 0 }]);
    expect(sleeps).toEqual([]);
    expect(driver.holdsLock).toBe(true);
  });

  it('polls with growing, capped delays until the other session releases the lock', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const { acquire, sleeps, events, waited } = harness({ onSleep: (count) => count === 10 && driver.releaseOther() });
    const { waitedMs } = await acquireLock(driver, owner, acquire);

    expect(sleeps).toHaveLength(10);
    expect(tries(driver)).toBe(11);
    for (const [i, ms] of sleeps.entries()) {
      if (i > 0) expect(ms).toBeGreaterThanOrEqual(sleeps[i - 1] ?? 0);
      expect(ms).toBeLessThanOrEqual(1_500);
    }
    expect(sleeps[0]).toBeLessThan(100);
    expect(sleeps.at(-1)).toBeGreaterThan(sleeps[0] ?? 0);
    expect(waitedMs).toBe(waited());
    expect(events.at(-1)).toEqual({ type: 'lock.acquired', waitedMs });
    expect(driver.holdsLock).toBe(true);
  });

  it('keeps the jittered delay at most 1.5 times the 1s cap', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const { acquire, sleeps } = harness({ random: 0.999, timeoutMs: 30_000 });
    await expect(acquireLock(driver, owner, acquire)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' });
    expect(Math.max(...sleeps)).toBeGreaterThan(1_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(1_500);
  });

  it('times out with E_LOCK_TIMEOUT naming the holder', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const { acquire, waited } = harness({ timeoutMs: 10_000 });
    const error: unknown = await acquireLock(driver, owner, acquire).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_LOCK_TIMEOUT', details: { holder } });
    const message = (error as Error).message;
    expect(message).toContain('host ci-7');
    expect(message).toContain('pid 4242');
    expect(message).toContain('user alice');
    expect(waited()).toBeGreaterThanOrEqual(10_000);
    // The last sleep is clipped to the deadline: the wait does not overshoot by a full delay.
    expect(waited()).toBeLessThanOrEqual(10_001);
    expect(driver.holdsLock).toBe(false);
  });

  it('reports the wait with the holder, first at once and then every few seconds', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const { acquire, events } = harness({ timeoutMs: 12_000 });
    await expect(acquireLock(driver, owner, acquire)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' });
    const waiting = events.filter((e) => e.type === 'lock.waiting');
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting[0]).toEqual({ type: 'lock.waiting', waitedMs: 0, holder });
    for (const event of waiting) expect(event.holder).toEqual(holder);
    const times = waiting.map((e) => e.waitedMs);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(5_000);
    expect(events.some((e) => e.type === 'lock.acquired')).toBe(false);
  });

  it('stops with E_INTERRUPTED when the signal is aborted while the lock is held', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const controller = new AbortController();
    controller.abort();
    const { acquire, sleeps } = harness({ signal: controller.signal });
    await expect(acquireLock(driver, owner, acquire)).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(sleeps).toEqual([]);
    expect(driver.holdsLock).toBe(false);
  });

  it('stops with E_INTERRUPTED when aborted during the wait', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder });
    const controller = new AbortController();
    const { acquire, sleeps } = harness({ signal: controller.signal, onSleep: (count) => count === 3 && controller.abort() });
    await expect(acquireLock(driver, owner, acquire)).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(sleeps).toHaveLength(3);
  });
});
