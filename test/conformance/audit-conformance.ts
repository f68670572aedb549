/**
 * The audit part of the `Driver` port, shared by every engine (STYLE.md principle 6): `readAudit`
 * and its filters, the unique prev_hash that makes a forked append fail, and two sessions
 * appending through the core's chain without forking it. Engine-neutral: nothing here names one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, RunContext } from '../../src/core/model.js';
import type { Driver } from '../../src/core/ports.js';
import { createAuditChain } from '../../src/core/run/audit.js';
import { auditEntry as chainedEntry } from '../../src/core/run/records.js';
import { METADATA_FORMAT } from '../../src/core/run/executor.js';
import { verifyAudit } from '../../src/core/run/verify-audit.js';
import { auditEntry, type ConformanceDatabase, type ConformanceTarget } from './driver-conformance.js';

const context = (runId: string): RunContext => ({
  runId, actor: `actor-${runId}`, host: 'conformance-host', pid: process.pid, environment: 'test', command: 'migrate up', toolVersion: '0.0.0-test', now: () => new Date(),
});
const entry = (runId: string, event: string): AuditEntry => chainedEntry(context(runId), { event, outcome: 'info', detail: { note: 'ünïcödé ✓ 𝄞' } });

/** Registers the audit conformance tests of the driver `name`. */
export function describeAuditConformance(name: string, target: ConformanceTarget): void {
  describe(`${name} audit conformance`, () => {
    let database: ConformanceDatabase;
    let sessions: Driver[] = [];
    const open = async (readOnly = false): Promise<Driver> => {
      const driver = await database.open({ readOnly });
      sessions.push(driver);
      return driver;
    };
    beforeEach(async () => {
      database = await target.fresh();
    });
    afterEach(async () => {
      for (const session of sessions) await session.close();
      sessions = [];
      await database.cleanup();
    });

    it('reads no audit rows without the table, creating nothing, in any session', async () => {
      const reader = await open(true);
      const writer = await open();
      expect(await reader.readAudit({})).toEqual([]);
      expect(await writer.readAudit({ limit: 5, newest: true })).toEqual([]);
      expect(await writer.readState()).toEqual({ format: undefined, rows: [] });
    });

    it('returns every field and the id of each row, in id order, also to a read-only session', async () => {
      const writer = await open();
      await writer.prepareMetadata(METADATA_FORMAT);
      const full = auditEntry('h1', '');
      const sparse = auditEntry('h2', 'h1', { version: null, fromVersion: null, toVersion: null, checksum: null, durationMs: null, outcome: 'info' });
      expect(await writer.appendAudit(full)).toBe(true);
      expect(await writer.appendAudit(sparse)).toBe(true);
      const rows = await (await open(true)).readAudit({});
      expect(rows.map(({ id: _id, ...row }) => row)).toEqual([full, sparse]);
      expect(typeof rows[0]?.id).toBe('number');
      expect(rows[1]?.id).toBeGreaterThan(rows[0]?.id ?? Infinity);
    });

    it('filters by since, version, actor and afterId, and limits to the oldest or newest rows', async () => {
      const writer = await open();
      await writer.prepareMetadata(METADATA_FORMAT);
      const rows = [
        auditEntry('a', '', { at: '2026-01-01T00:00:00.000Z', actor: 'alice', event: 'run.started', version: null, fromVersion: '1', toVersion: '3' }),
        auditEntry('b', 'a', { at: '2026-01-02T00:00:00.000Z', actor: 'bob', version: '2', fromVersion: null, toVersion: null }),
        auditEntry('c', 'b', { at: '2026-01-03T00:00:00.000Z', actor: 'alice', version: '3', fromVersion: null, toVersion: null }),
        auditEntry('d', 'c', { at: '2026-01-10T00:00:00.000Z', actor: 'alice', version: '10', fromVersion: null, toVersion: null }),
      ];
      for (const row of rows) await writer.appendAudit(row);
      const hashes = async (filter: Parameters<Driver['readAudit']>[0]): Promise<string[]> => (await writer.readAudit(filter)).map((row) => row.hash);
      expect(await hashes({ since: '2026-01-02T00:00:00.000Z' })).toEqual(['b', 'c', 'd']);
      // As text: 2026-01-10 sorts after 2026-01-03, as the time it spells.
      expect(await hashes({ since: '2026-01-05T00:00:00.000Z' })).toEqual(['d']);
      expect(await hashes({ version: '3' })).toEqual(['a', 'c']);
      expect(await hashes({ version: '1' })).toEqual(['a']);
      expect(await hashes({ actor: 'alice' })).toEqual(['a', 'c', 'd']);
      expect(await hashes({ actor: 'alice', version: '3', since: '2026-01-02T00:00:00.000Z' })).toEqual(['c']);
      expect(await hashes({ actor: 'ALICE' })).toEqual([]);
      const all = await writer.readAudit({});
      expect(await hashes({ afterId: all[1]?.id })).toEqual(['c', 'd']);
      expect(await hashes({ limit: 2 })).toEqual(['a', 'b']);
      expect(await hashes({ limit: 2, newest: true })).toEqual(['c', 'd']);
      expect(await hashes({ actor: 'alice', limit: 2, newest: true })).toEqual(['c', 'd']);
      expect(await hashes({ afterId: all[0]?.id, limit: 2 })).toEqual(['b', 'c']);
    });

    it('refuses an append that would fork the chain: false, and nothing written', async () => {
      const writer = await open();
      await writer.prepareMetadata(METADATA_FORMAT);
      expect(await writer.appendAudit(auditEntry('h1', ''))).toBe(true);
      expect(await writer.appendAudit(auditEntry('fork', ''))).toBe(false);
      expect(await writer.appendAudit(auditEntry('h2', 'h1'))).toBe(true);
      expect(await writer.appendAudit(auditEntry('fork', 'h1'))).toBe(false);
      expect((await writer.readAudit({})).map((row) => row.hash)).toEqual(['h1', 'h2']);
      expect(await writer.readAuditHead()).toBe('h2');
    });

    it('refuses a forking append inside an open transaction without spoiling it', async () => {
      const writer = await open();
      await writer.prepareMetadata(METADATA_FORMAT);
      await writer.appendAudit(auditEntry('h1', ''));
      await writer.begin();
      expect(await writer.appendAudit(auditEntry('fork', ''))).toBe(false);
      expect(await writer.appendAudit(auditEntry('h2', 'h1'))).toBe(true);
      await writer.commit();
      expect((await writer.readAudit({})).map((row) => row.hash)).toEqual(['h1', 'h2']);
    });

    it('two sessions appending at once through the chain never fork it', async () => {
      const [a, b] = [await open(), await open()];
      await a.prepareMetadata(METADATA_FORMAT);
      // Both start from the same head: every round, one of them appends on a stale head.
      const chains = [createAuditChain(a, ''), createAuditChain(b, '')];
      for (let round = 1; round <= 8; round++) {
        await Promise.all(chains.map((chain, i) => chain.append(entry(`session-${i}`, `round.${round}`))));
      }
      const walk = await verifyAudit(await open(true), { pageSize: 5 });
      expect(walk).toMatchObject({ checked: 16, broken: undefined });
      expect(walk.head).toBe(await a.readAuditHead());
      const events = (await a.readAudit({})).map((row) => `${row.runId} ${row.event}`).sort();
      expect(events).toEqual(Array.from({ length: 8 }, (_, r) => [`session-0 round.${r + 1}`, `session-1 round.${r + 1}`]).flat().sort());
    });

    it('an append racing a row uncommitted in another transaction re-chains after it, or fails: never forks', async () => {
      const [holder, other] = [await open(), await open()];
      await holder.prepareMetadata(METADATA_FORMAT);
      const held = createAuditChain(holder, '');
      await held.append(entry('holder', 'run.started'));
      const stale = createAuditChain(other, await other.readAuditHead());
      await holder.begin();
      await held.append(entry('holder', 'migration.applied'));
      // Waits for the holder's transaction (or, where one writer excludes the others, gives up).
      const racing = stale.append(entry('other', 'lock.timeout')).then(() => 'appended', (error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await holder.commit();
      const outcome = await racing;
      const walk = await verifyAudit(holder);
      expect(walk.broken).toBeUndefined();
      const events = (await holder.readAudit({})).map((row) => row.event);
      if (outcome === 'appended') expect(events).toEqual(['run.started', 'migration.applied', 'lock.timeout']);
      else expect(events).toEqual(['run.started', 'migration.applied']);
    }, 20_000);
  });
}
