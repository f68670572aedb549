/**
 * The conformance suite of `Driver.inspectLock` and `Driver.breakLock` (what `migrate unlock`
 * stands on), run by every driver's integration test for each lock strategy. Engine-neutral: it
 * branches only on what the port reports (`strategy`, `process`, `connection`), never on an
 * engine's name; the SQL of a long statement comes from the engine's test (`ServerSql`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, LockInspection, LockOwner } from '../../src/core/ports.js';
import { historyRow, type ConformanceDatabase, type ConformanceTarget } from './driver-conformance.js';
import { deadPid } from '../support/processes.js';

type Open = (options?: { readOnly?: boolean; leaseMs?: number }) => Promise<Driver>;
type HeldLease = Extract<LockInspection, { strategy: 'lease'; state: 'held' }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const owner = (runId: string, pid = process.pid): LockOwner => ({ runId, host: 'conformance-host', pid, actor: `user-${runId}` });
const statement = (sql: string) => ({ sql, line: 1, column: 1 });

/**
 * What a server engine's test provides for the tests of a lease holder busy in a long statement:
 * a statement that runs `seconds`, and one that makes the lease row 1 expired by the server's clock
 * (as a heartbeat that stopped would leave it). Engines without server sessions pass none.
 */
export interface ServerSql {
  sleep(seconds: number): string;
  readonly expireLease: string;
}

function heldLease(inspection: LockInspection): HeldLease {
  if (inspection.strategy !== 'lease' || inspection.state !== 'held') throw new Error(`expected a held lease, got ${JSON.stringify(inspection)}`);
  return inspection;
}

/** Registers the inspect/break tests of the driver `name`; `sql` for the busy-holder tests of server engines. */
export function describeUnlockConformance(name: string, target: ConformanceTarget, sql?: ServerSql): void {
  describe(`${name} lock inspection and take-over`, () => {
    let database: ConformanceDatabase;
    let sessions: Driver[] = [];
    let strategy: LockInspection['strategy'];
    const open: Open = async (options) => {
      const driver = await database.open(options);
      sessions.push(driver);
      return driver;
    };

    beforeEach(async () => {
      database = await target.fresh();
      // What the port reports decides which tests apply, never the engine's name.
      strategy = (await (await open({ readOnly: true })).inspectLock()).strategy;
    });
    afterEach(async () => {
      for (const session of sessions) await session.close();
      sessions = [];
      await database.cleanup();
    });

    it('reads a free lock as free, creating nothing, from read-only and writable sessions', async () => {
      expect(await (await open({ readOnly: true })).inspectLock()).toMatchObject({ state: 'free' });
      const writer = await open();
      expect(await writer.inspectLock()).toMatchObject({ state: 'free', strategy });
      expect(await writer.readState()).toEqual({ format: undefined, rows: [] });
      await writer.tryLock(owner('run-a'));
      await writer.unlock();
      expect(await (await open({ readOnly: true })).inspectLock()).toMatchObject({ state: 'free' });
    });

    it('names the holder without disturbing it; a lease shows its generation and expiry', async () => {
      const holder = await open();
      await holder.tryLock(owner('run-a'));
      const seen = await (await open({ readOnly: true })).inspectLock();
      expect(seen).toMatchObject({ state: 'held', strategy, holder: { owner: 'run-a' } });
      if (seen.state === 'held' && seen.strategy === 'lease') {
        expect(seen).toMatchObject({ releasable: true, lease: { runId: 'run-a', expired: false } });
        expect(['alive', 'unknown']).toContain(seen.lease.process);
        expect(Number(seen.lease.generation)).toBeGreaterThan(0);
        expect(Date.parse(seen.lease.expiresAt ?? '')).toBeGreaterThan(Date.now() - 5_000);
      } else if (seen.state === 'held') {
        expect(seen.releasable).toBe(false);
        expect(seen.session.id).toBeGreaterThan(0);
        expect(seen.session.terminate).toContain(String(seen.session.id));
      }
      await expect(holder.assertLock()).resolves.toBeUndefined();
      await holder.unlock();
    });

    it('inspects while the holder has a history write open in its transaction', async () => {
      const holder = await open();
      await holder.prepareMetadata(1);
      await holder.tryLock(owner('run-a'));
      await holder.begin();
      await holder.writeHistory(historyRow('1'));
      expect(await (await open({ readOnly: true })).inspectLock()).toMatchObject({ state: 'held', holder: { owner: 'run-a' } });
      await holder.commit();
      await holder.unlock();
    });

    it('refuses breakLock for an advisory lock and leaves it held', async (context) => {
      if (strategy !== 'advisory') context.skip();
      const holder = await open();
      await holder.tryLock(owner('run-a'));
      const breaker = await open();
      await expect(breaker.breakLock({ runId: 'run-a', generation: '1', onlyIfExpired: false }, owner('run-b'))).rejects.toMatchObject({ code: 'E_NOT_SUPPORTED' });
      await expect(holder.assertLock()).resolves.toBeUndefined();
      await holder.unlock();
    });

    it('takes over a lease whose holder is gone: the breaker holds it, the old holder fails closed', async (context) => {
      if (strategy !== 'lease') context.skip();
      const old = await open();
      await old.prepareMetadata(1);
      await old.tryLock(owner('run-old', deadPid()));
      const breaker = await open();
      const seen = heldLease(await breaker.inspectLock());
      expect(seen.lease.runId).toBe('run-old');
      // Probed where the lease records the pid's namespace; otherwise unknown, never alive.
      expect(['gone', 'unknown']).toContain(seen.lease.process);
      expect(await breaker.breakLock({ runId: 'run-old', generation: seen.lease.generation, onlyIfExpired: false }, owner('run-new'))).toBe(true);

      const after = heldLease(await (await open({ readOnly: true })).inspectLock());
      expect(after.holder).toMatchObject({ owner: 'run-new', user: 'user-run-new' });
      expect(Number(after.lease.generation)).toBe(Number(seen.lease.generation) + 1);
      expect(after.lease.expired).toBe(false);

      await expect(old.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      await expect(old.writeHistory(historyRow('1'))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      await breaker.writeHistory(historyRow('2'));
      await expect(breaker.assertLock()).resolves.toBeUndefined();
      await breaker.unlock();
      expect(await (await open({ readOnly: true })).inspectLock()).toMatchObject({ state: 'free' });
      await expect(old.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      expect((await breaker.readState()).rows.map((row) => row.version)).toEqual(['2']);
    });

    it('changes nothing when the lease moved on since it was inspected (compare-and-swap)', async (context) => {
      if (strategy !== 'lease') context.skip();
      const a = await open();
      await a.tryLock(owner('run-a'));
      const seen = heldLease(await (await open({ readOnly: true })).inspectLock());
      await a.unlock();
      const b = await open();
      await b.tryLock(owner('run-b'));
      const current = heldLease(await (await open({ readOnly: true })).inspectLock());
      const breaker = await open();
      expect(await breaker.breakLock({ runId: 'run-a', generation: seen.lease.generation, onlyIfExpired: false }, owner('run-x'))).toBe(false);
      expect(await breaker.breakLock({ runId: 'run-b', generation: seen.lease.generation, onlyIfExpired: false }, owner('run-x'))).toBe(false);
      await expect(breaker.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      expect(heldLease(await breaker.inspectLock())).toMatchObject({ holder: { owner: 'run-b' }, lease: { generation: current.lease.generation } });
      await expect(b.assertLock()).resolves.toBeUndefined();
      await b.unlock();
    });

    it('onlyIfExpired: never takes a lease that is not expired; takes it once it has', async (context) => {
      if (strategy !== 'lease') context.skip();
      const holder = await open({ leaseMs: 600 });
      await holder.tryLock(owner('run-old'));
      const breaker = await open();
      const live = heldLease(await breaker.inspectLock());
      expect(await breaker.breakLock({ runId: 'run-old', generation: live.lease.generation, onlyIfExpired: true }, owner('run-new'))).toBe(false);
      await expect(holder.assertLock()).resolves.toBeUndefined();
      // Closing stops the heartbeat and leaves the row: the lease of a run that died.
      await holder.close();
      await sleep(900);
      const stale = heldLease(await breaker.inspectLock());
      expect(stale.lease).toMatchObject({ runId: 'run-old', generation: live.lease.generation, expired: true });
      expect(await breaker.breakLock({ runId: 'run-old', generation: stale.lease.generation, onlyIfExpired: true }, owner('run-new'))).toBe(true);
      await breaker.unlock();
    });

    it('renews a lease while its holder runs a statement longer than the lease (the heartbeat has its own connection)', async (context) => {
      if (strategy !== 'lease' || sql === undefined) context.skip();
      const holder = await open({ leaseMs: 900 });
      await holder.tryLock(owner('run-a'));
      const started = Date.now();
      const running = holder.execute(statement(sql?.sleep(4) ?? ''));
      const other = await open({ leaseMs: 900 });
      const reader = await open({ readOnly: true });
      // Three lease lengths: without a heartbeat beside the statement the lease would have expired twice.
      while (Date.now() - started < 2_700) {
        await sleep(300);
        const seen = heldLease(await reader.inspectLock());
        expect(seen.lease).toMatchObject({ runId: 'run-a', expired: false, connection: { status: 'busy' } });
        expect(seen.lease.connection?.session?.terminate).toContain(String(seen.lease.connection?.session?.id));
        expect(await other.tryLock(owner('run-b'))).toMatchObject({ acquired: false, holder: { owner: 'run-a' } });
      }
      await running;
      expect(heldLease(await reader.inspectLock()).lease.connection?.status).toBe('idle');
      expect(holder.lockLost()).toBe(false);
      await expect(holder.assertLock()).resolves.toBeUndefined();
      await holder.unlock();
      expect(await other.tryLock(owner('run-b'))).toEqual({ acquired: true });
      await other.unlock();
    });

    it('never takes or breaks an expired lease while its holder\'s connection is busy; once it is closed, it does', async (context) => {
      if (strategy !== 'lease' || sql === undefined) context.skip();
      // A long lease: its heartbeat (every 20 s) stays out of the way of the expiry written by hand.
      const holder = await open({ leaseMs: 60_000 });
      await holder.tryLock(owner('run-old'));
      const running = holder.execute(statement(sql?.sleep(2) ?? ''));
      const admin = await open();
      await sleep(300);
      await admin.execute(statement(sql?.expireLease ?? ''));
      const seen = heldLease(await admin.inspectLock());
      expect(seen.lease).toMatchObject({ runId: 'run-old', expired: true, connection: { status: 'busy' } });
      const taker = await open();
      expect(await taker.tryLock(owner('run-new'))).toMatchObject({ acquired: false, holder: { owner: 'run-old' } });
      for (const onlyIfExpired of [true, false]) {
        expect(await admin.breakLock({ runId: 'run-old', generation: seen.lease.generation, onlyIfExpired }, owner('run-breaker'))).toBe(false);
      }
      await running;
      await holder.close();
      const after = heldLease(await admin.inspectLock());
      expect(after.lease).toMatchObject({ runId: 'run-old', expired: true });
      expect(['closed', 'unknown']).toContain(after.lease.connection?.status);
      expect(await taker.tryLock(owner('run-new'))).toEqual({ acquired: true });
      await expect(taker.assertLock()).resolves.toBeUndefined();
      await taker.unlock();
    });
  });
}
