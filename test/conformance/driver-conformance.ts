/**
 * The shared conformance suite of the `Driver` port (STYLE.md principle 6, after golang-migrate's
 * database/testing). Every engine driver runs it from its integration test; it tests only the port's
 * contract, so nothing here may name an engine. Engine-specific behaviour belongs in that engine's
 * own integration test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchCheckpoint, ChainedAuditEntry, Driver, LockOwner, RecordedSchema } from '../../src/core/ports.js';
import type { HistoryRow } from '../../src/core/model.js';
import { MigratorError } from '../../src/core/errors.js';
import { diffSnapshots, snapshotDigest } from '../../src/core/schema.js';

/** One empty database for one test, and how to open sessions on it. */
export interface ConformanceDatabase {
  /**
   * Opens a new session (its own connection). Read-only sessions must never create anything.
   * `leaseMs`: the lease length of the `table` strategy (and SQLite), for tests of expiry.
   */
  open(options?: { readOnly?: boolean; leaseMs?: number }): Promise<Driver>;
  /** Drops the database; called after every session of the test was closed. */
  cleanup(): Promise<void>;
}

/** What a driver's integration test provides to run the suite. */
export interface ConformanceTarget {
  /** A fresh, empty database per call. */
  fresh(): Promise<ConformanceDatabase>;
}

/** A HistoryRow with every field set, so a round trip proves every column. */
export function historyRow(version: string, overrides: Partial<HistoryRow> = {}): HistoryRow {
  return {
    version, description: `create things ${version}`, kind: 'versioned', script: `migrations/V${version}__things.sql`,
    checksum: `sha256v1:${version}up`, downChecksum: `sha256v1:${version}down`, state: 'applied', batch: 3,
    statementsTotal: 4, statementsApplied: 4, appliedHash: `sha256:${version}applied`, appliedBy: 'alice',
    appliedAt: '2026-01-02T03:04:05.678Z', executionMs: 1234, error: '{"statement":2}', runId: 'run-1', toolVersion: '0.1.0',
    ...overrides,
  };
}

/** An audit entry with every field set; `hash` and `prevHash` chain it. */
export function auditEntry(hash: string, prevHash: string, overrides: Partial<ChainedAuditEntry> = {}): ChainedAuditEntry {
  return {
    runId: 'run-1', at: '2026-01-02T03:04:05.678Z', actor: 'alice', host: 'ci-7', environment: 'test',
    command: 'migrate up', event: 'migration.applied', version: '1', fromVersion: '0', toVersion: '1',
    checksum: 'sha256v1:1up', outcome: 'success', durationMs: 12, detail: '{"statements":4}', prevHash, hash,
    ...overrides,
  };
}

const owner = (runId: string): LockOwner => ({ runId, host: 'conformance-host', pid: process.pid, actor: `user-${runId}` });
const statement = (sql: string) => ({ sql, line: 1, column: 1 });

/** Registers the conformance tests of the driver `name` (vitest describe/it). */
export function describeDriverConformance(name: string, target: ConformanceTarget): void {
  describe(`${name} driver conformance`, () => {
    let database: ConformanceDatabase;
    let sessions: Driver[] = [];
    const open = async (options?: { readOnly?: boolean }): Promise<Driver> => {
      const driver = await database.open(options);
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

    describeMetadata(open);
    describeTransactions(open);
    describeLock(open);
    describeStatements(open);
    describeSchemaRecord(open);
    describeCheckpoints(open);
  });
}

function checkpoint(name: string, overrides: Partial<BatchCheckpoint> = {}): BatchCheckpoint {
  return { version: '7', name, table: 'app.users', key: 'id', lastKey: '{"value":510000}', rows: 510_000, batches: 51, runId: 'run-1', updatedAt: '2026-01-02T03:04:05.678Z', finishedAt: null, ...overrides };
}

function describeCheckpoints(open: Open): void {
  it('reads no checkpoints before the table exists, creating nothing, in any session', async () => {
    expect(await (await open({ readOnly: true })).readCheckpoints('7')).toEqual([]);
    const driver = await open();
    expect(await driver.readCheckpoints('7')).toEqual([]);
    await driver.clearCheckpoints('7');
    expect((await driver.readState()).format).toBeUndefined();
  });

  it('upserts checkpoints by migration and name, round-trips every field, and clears one migration', async () => {
    const driver = await open();
    await driver.prepareMetadata(2);
    await driver.saveCheckpoint(checkpoint('b', { lastKey: '{}', rows: 0, batches: 0 }));
    await driver.saveCheckpoint(checkpoint('a'));
    await driver.saveCheckpoint(checkpoint('a', { version: '8', lastKey: '{"bigint":"9007199254740993"}', rows: 3_000_000_000 }));
    const finished = checkpoint('b', { lastKey: '{"value":"k999"}', rows: 20, batches: 3, finishedAt: '2026-01-02T03:04:06.000Z', runId: 'run-2' });
    await driver.saveCheckpoint(finished);
    expect(await driver.readCheckpoints('7')).toEqual([checkpoint('a'), finished]);
    await driver.clearCheckpoints('7');
    expect(await driver.readCheckpoints('7')).toEqual([]);
    expect(await driver.readCheckpoints('8')).toEqual([checkpoint('a', { version: '8', lastKey: '{"bigint":"9007199254740993"}', rows: 3_000_000_000 })]);
  });

  it('writes a checkpoint inside an open transaction: rolled back with it', async () => {
    const driver = await open();
    await driver.prepareMetadata(2);
    await driver.saveCheckpoint(checkpoint('a'));
    await driver.begin();
    await driver.saveCheckpoint(checkpoint('a', { rows: 520_000, batches: 52 }));
    await driver.rollback();
    expect(await driver.readCheckpoints('7')).toEqual([checkpoint('a')]);
  });
}

type Open = (options?: { readOnly?: boolean }) => Promise<Driver>;

function describeMetadata(open: Open): void {
  it('reads an empty database as no format and no rows, and creates nothing doing so', async () => {
    const driver = await open();
    expect(await driver.readState()).toEqual({ format: undefined, rows: [] });
    expect(await driver.readState()).toEqual({ format: undefined, rows: [] });
    expect(await driver.readAuditHead()).toBe('');
    expect(await driver.prepareMetadata(1)).toEqual({ created: true });
    expect(await driver.readState()).toEqual({ format: 1, rows: [] });
  });

  it('prepares the metadata idempotently, upgrades the format and refuses a newer one', async () => {
    const driver = await open();
    expect(await driver.prepareMetadata(1)).toEqual({ created: true });
    expect(await driver.prepareMetadata(1)).toEqual({ created: false });
    expect(await driver.prepareMetadata(2)).toEqual({ created: false });
    expect((await driver.readState()).format).toBe(2);
    await expect(driver.prepareMetadata(1)).rejects.toMatchObject({ code: 'E_METADATA_VERSION' });
    expect((await driver.readState()).format).toBe(2);
  });

  it('round-trips every field of a history row, nulls included', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    const full = historyRow('1');
    const sparse = historyRow('R__views', { kind: 'repeatable', downChecksum: null, appliedHash: null, error: null, state: 'failed' });
    await driver.writeHistory(full);
    await driver.writeHistory(sparse);
    expect((await driver.readState()).rows).toEqual([full, sparse]);
  });

  it('upserts history by version and orders rows by last write', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    await driver.writeHistory(historyRow('1', { state: 'in_progress', statementsApplied: 1 }));
    await driver.writeHistory(historyRow('2'));
    const rewritten = historyRow('1', { state: 'applied', statementsApplied: 4, batch: 5, runId: 'run-2' });
    await driver.writeHistory(rewritten);
    expect((await driver.readState()).rows).toEqual([historyRow('2'), rewritten]);
  });

  it('chains audit rows: the head is the hash of the newest row', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    expect(await driver.readAuditHead()).toBe('');
    await driver.appendAudit(auditEntry('h1', ''));
    expect(await driver.readAuditHead()).toBe('h1');
    const sparse = { version: null, fromVersion: null, toVersion: null, checksum: null, durationMs: null, outcome: 'info' } as const;
    await driver.appendAudit(auditEntry('h2', 'h1', sparse));
    expect(await driver.readAuditHead()).toBe('h2');
  });

  it('rejects UPDATE and DELETE of audit rows', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    await driver.appendAudit(auditEntry('h1', ''));
    await expect(driver.execute(statement("UPDATE migrator_audit SET actor = 'mallory'"))).rejects.toThrow(/append-only/);
    await expect(driver.execute(statement('DELETE FROM migrator_audit'))).rejects.toThrow(/append-only/);
    expect(await driver.queryValue("SELECT actor FROM migrator_audit WHERE hash = 'h1'")).toBe('alice');
    expect(await driver.readAuditHead()).toBe('h1');
  });

  it('gives read-only sessions an empty state, refuses their writes and creates nothing', async () => {
    const reader = await open({ readOnly: true });
    expect(await reader.readState()).toEqual({ format: undefined, rows: [] });
    expect(await reader.readAuditHead()).toBe('');
    await expect(reader.prepareMetadata(1)).rejects.toThrow();
    await expect(reader.tryLock(owner('reader'))).rejects.toThrow();
    const writer = await open();
    expect(await writer.prepareMetadata(1)).toEqual({ created: true });
  });

  it('lets a read-only session read what another session wrote', async () => {
    const writer = await open();
    await writer.prepareMetadata(1);
    await writer.writeHistory(historyRow('1'));
    await writer.appendAudit(auditEntry('h1', ''));
    const reader = await open({ readOnly: true });
    expect(await reader.readState()).toEqual({ format: 1, rows: [historyRow('1')] });
    expect(await reader.readAuditHead()).toBe('h1');
    await expect(reader.writeHistory(historyRow('2'))).rejects.toThrow();
    await expect(reader.appendAudit(auditEntry('h2', 'h1'))).rejects.toThrow();
  });

  it('diagnose reports server, user, privileges and storage from a read-only session, creating nothing', async () => {
    const reader = await open({ readOnly: true });
    const check = async (uses: ReadonlyArray<string>) => {
      const diagnosis = await reader.diagnose();
      expect(diagnosis.server).toMatch(/^\S+ \d+\.\d+/);
      expect(diagnosis.user).not.toBe('');
      // The suite's user may do everything (a superuser, root, the file's owner): nothing is missing.
      expect(diagnosis.privileges.filter((p) => p.ok !== true)).toEqual([]);
      for (const use of uses) expect(diagnosis.privileges.some((p) => p.neededFor === use)).toBe(true);
      const { storage } = diagnosis;
      if (storage.databaseBytes !== undefined) expect(storage.databaseBytes).toBeGreaterThanOrEqual(0);
      if (storage.freeBytes === undefined) expect(storage.unknownReason).toBeTruthy();
      else expect(storage.totalBytes).toBeGreaterThanOrEqual(storage.freeBytes);
    };
    await check(['migrate']);
    expect(await reader.readState()).toEqual({ format: undefined, rows: [] });
    const writer = await open();
    // Nothing was created: the writer's session is the one that creates the metadata tables.
    expect(await writer.prepareMetadata(1)).toEqual({ created: true });
    expect(await writer.tryLock(owner('run-a'))).toEqual({ acquired: true });
    // With the tables there, reading them needs privileges too.
    await check(['read', 'migrate']);
    await writer.unlock();
  });
}

function describeTransactions(open: Open): void {
  it('rolls back DDL and history together (transactional DDL engines)', async (context) => {
    const driver = await open();
    if (!driver.capabilities.transactionalDdl) context.skip();
    await driver.prepareMetadata(1);
    await driver.begin();
    await driver.execute(statement('CREATE TABLE conformance_t (id INTEGER)'));
    await driver.writeHistory(historyRow('1'));
    await driver.rollback();
    expect((await driver.readState()).rows).toEqual([]);
    await expect(driver.queryValue('SELECT id FROM conformance_t')).rejects.toThrow(/conformance_t/);
  });

  it('commits DDL, data and history together', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    await driver.begin();
    await driver.execute(statement('CREATE TABLE conformance_t (id INTEGER)'));
    await driver.execute(statement('INSERT INTO conformance_t (id) VALUES (7)'));
    await driver.writeHistory(historyRow('1'));
    await driver.commit();
    const other = await open();
    expect(await other.queryValue('SELECT id FROM conformance_t')).toBe(7);
    expect((await other.readState()).rows).toEqual([historyRow('1')]);
  });

  it('commitStep commits the statements, the history row and the audit row together', async () => {
    const driver = await open();
    await driver.prepareMetadata(2);
    await driver.execute(statement('CREATE TABLE conformance_t (id INTEGER)'));
    await driver.tryLock(owner('run-a'));
    await driver.begin();
    await driver.execute(statement('INSERT INTO conformance_t (id) VALUES (7)'));
    expect(await driver.commitStep(historyRow('1'), auditEntry('h1', ''))).toBe(true);
    const other = await open();
    expect(await other.queryValue('SELECT id FROM conformance_t')).toBe(7);
    expect((await other.readState()).rows).toEqual([historyRow('1')]);
    expect(await other.readAuditHead()).toBe('h1');
    // The transaction is over: the next one begins afresh.
    await driver.begin();
    expect(await driver.commitStep(historyRow('2'), auditEntry('h2', 'h1'))).toBe(true);
    expect(await other.readAuditHead()).toBe('h2');
    await driver.unlock();
  });

  it('commitStep returns false when the audit chain moved, leaving the transaction open with the history row', async () => {
    const driver = await open();
    await driver.prepareMetadata(2);
    await driver.execute(statement('CREATE TABLE conformance_t (id INTEGER)'));
    await driver.tryLock(owner('run-a'));
    await driver.appendAudit(auditEntry('h1', ''));
    await driver.begin();
    await driver.execute(statement('INSERT INTO conformance_t (id) VALUES (7)'));
    expect(await driver.commitStep(historyRow('1'), auditEntry('stale', ''))).toBe(false);
    expect(await driver.appendAudit(auditEntry('h2', 'h1'))).toBe(true);
    await driver.assertLock();
    await driver.commit();
    const other = await open();
    expect(await other.queryValue('SELECT id FROM conformance_t')).toBe(7);
    expect((await other.readState()).rows).toEqual([historyRow('1')]);
    expect((await other.readAudit({})).map((row) => row.hash)).toEqual(['h1', 'h2']);
    await driver.unlock();
  });

  it('commitStep fails with E_LOCK_LOST for a session without the lock and commits nothing', async () => {
    const driver = await open();
    await driver.prepareMetadata(2);
    await driver.execute(statement('CREATE TABLE conformance_t (id INTEGER)'));
    await driver.begin();
    await driver.execute(statement('INSERT INTO conformance_t (id) VALUES (7)'));
    await expect(driver.commitStep(historyRow('1'), auditEntry('h1', ''))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
    await driver.rollback();
    const other = await open();
    expect(await other.queryValue('SELECT count(*) FROM conformance_t')).toEqual(expect.anything());
    expect(Number(await other.queryValue('SELECT count(*) FROM conformance_t'))).toBe(0);
    expect((await other.readState()).rows).toEqual([]);
    expect(await other.readAuditHead()).toBe('');
  });

  it('rollback without an open transaction is a no-op', async () => {
    const driver = await open();
    await expect(driver.rollback()).resolves.toBeUndefined();
  });
}

function describeLock(open: Open): void {
  it('grants the lock to one session at a time and names the holder', async () => {
    const a = await open();
    const b = await open();
    expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
    const refused = await b.tryLock(owner('run-b'));
    expect(refused.acquired).toBe(false);
    expect(refused).toMatchObject({ holder: { owner: 'run-a' } });
    expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
    await a.unlock();
    expect(await b.tryLock(owner('run-b'))).toEqual({ acquired: true });
    await b.unlock();
  });

  it('assertLock passes for the holder, also inside a transaction, and fails once the lock moved on', async () => {
    const a = await open();
    const b = await open();
    await a.tryLock(owner('run-a'));
    await expect(a.assertLock()).resolves.toBeUndefined();
    await a.begin();
    await expect(a.assertLock()).resolves.toBeUndefined();
    await a.commit();
    await a.unlock();
    expect(await b.tryLock(owner('run-b'))).toEqual({ acquired: true });
    await expect(b.assertLock()).resolves.toBeUndefined();
    const lost = await a.assertLock().then(() => undefined, (error: unknown) => error);
    expect(lost).toBeInstanceOf(MigratorError);
    expect(lost).toMatchObject({ code: 'E_LOCK_LOST' });
    await b.unlock();
  });

  it('assertLock fails with E_LOCK_LOST for a session that never locked', async () => {
    const driver = await open();
    await expect(driver.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
  });

  it('unlock is a no-op when the lock was never taken or already released', async () => {
    const driver = await open();
    await expect(driver.unlock()).resolves.toBeUndefined();
    await driver.tryLock(owner('run-a'));
    await driver.unlock();
    await expect(driver.unlock()).resolves.toBeUndefined();
  });
}

function describeStatements(open: Open): void {
  it('rejects a failing statement with the engine error, unwrapped', async () => {
    const driver = await open();
    const syntax = await driver.execute(statement('SELEC 1')).then(() => undefined, (error: unknown) => error);
    expect(syntax).toBeInstanceOf(Error);
    expect(syntax).not.toBeInstanceOf(MigratorError);
    expect((syntax as Error).message).toMatch(/syntax/i);
    await expect(driver.execute(statement('SELECT * FROM conformance_missing'))).rejects.toThrow(/conformance_missing/);
  });

  it('runs a SELECT statement and ignores its rows', async () => {
    const driver = await open();
    await expect(driver.execute(statement("SELECT 'ignored'"))).resolves.toEqual({ rows: 0 });
  });

  it('reports the rows an INSERT, UPDATE or DELETE wrote, and none for DDL or reads', async () => {
    const driver = await open();
    const rows = async (sql: string) => (await driver.execute(statement(sql))).rows;
    expect(await rows('CREATE TABLE conformance_r (id INTEGER, n INTEGER)')).toBe(0);
    expect(await rows('INSERT INTO conformance_r (id, n) VALUES (1, 0), (2, 0), (3, 0), (4, 0)')).toBe(4);
    expect(await rows('UPDATE conformance_r SET n = 1 WHERE id <= 3')).toBe(3);
    // Rows matched, also those already holding the value (an engine may count only changed rows unless told otherwise).
    expect(await rows('UPDATE conformance_r SET n = 1 WHERE id <= 3')).toBe(3);
    expect(await rows('SELECT * FROM conformance_r')).toBe(0);
    expect(await rows('CREATE INDEX conformance_r_n ON conformance_r (n)')).toBe(0);
    expect(await rows('DELETE FROM conformance_r WHERE id = 4')).toBe(1);
    expect(await rows('DROP TABLE conformance_r')).toBe(0);
  });

  it('queryValue returns the first column of the first row, undefined without a row', async () => {
    const driver = await open();
    expect(await driver.queryValue("SELECT 'first', 'second'")).toBe('first');
    await driver.execute(statement('CREATE TABLE conformance_q (id INTEGER)'));
    expect(await driver.queryValue('SELECT id FROM conformance_q')).toBeUndefined();
    expect(await driver.queryValue('INSERT INTO conformance_q (id) VALUES (3)')).toBeUndefined();
    expect(await driver.queryValue('SELECT id FROM conformance_q')).toBe(3);
  });

  it('schemaFingerprint(scope) changes when a statement of the scope takes effect, not with rows or other objects', async () => {
    const driver = await open();
    const scope = { tables: ['conformance_s'], routines: [], triggersOf: ['conformance_s'] };
    const absent = await driver.schemaFingerprint(scope);
    expect(await driver.schemaFingerprint(scope)).toBe(absent);
    await driver.execute(statement('CREATE TABLE conformance_s (id INTEGER)'));
    const created = await driver.schemaFingerprint(scope);
    expect(created).not.toBe(absent);
    await driver.execute(statement('INSERT INTO conformance_s (id) VALUES (1)'));
    expect(await driver.schemaFingerprint(scope)).toBe(created);
    await driver.execute(statement('CREATE INDEX conformance_s_id ON conformance_s (id)'));
    const indexed = await driver.schemaFingerprint(scope);
    expect(indexed).not.toBe(created);
    await driver.execute(statement('ALTER TABLE conformance_s ADD COLUMN v INTEGER'));
    expect(await driver.schemaFingerprint(scope)).not.toBe(indexed);
    // A driver may ignore the scope (and digest the whole schema); one that honours it ignores the rest.
    const before = await driver.schemaFingerprint({ tables: ['conformance_other'], routines: [], triggersOf: [] });
    await driver.execute(statement('CREATE TABLE conformance_other (id INTEGER)'));
    expect(await driver.schemaFingerprint({ tables: ['conformance_other'], routines: [], triggersOf: [] })).not.toBe(before);
  });

  it('schemaFingerprint changes with DDL only: not with rows, not with the metadata tables', async () => {
    const driver = await open();
    const empty = await driver.schemaFingerprint();
    expect(await driver.schemaFingerprint()).toBe(empty);
    await driver.prepareMetadata(1);
    await driver.writeHistory(historyRow('1'));
    expect(await driver.schemaFingerprint()).toBe(empty);
    await driver.execute(statement('CREATE TABLE conformance_fp (id INTEGER)'));
    const withTable = await driver.schemaFingerprint();
    expect(withTable).not.toBe(empty);
    await driver.execute(statement('INSERT INTO conformance_fp (id) VALUES (1)'));
    expect(await driver.schemaFingerprint()).toBe(withTable);
    await driver.execute(statement('CREATE INDEX conformance_fp_id ON conformance_fp (id)'));
    expect(await driver.schemaFingerprint()).not.toBe(withTable);
  });

  it('schemaSnapshot lists one line per object, names them, and digests to the fingerprint', async () => {
    const driver = await open();
    expect(await driver.schemaSnapshot()).toEqual([]);
    await driver.prepareMetadata(1);
    expect(await driver.schemaSnapshot()).toEqual([]);
    await driver.execute(statement('CREATE TABLE conformance_snap (id INTEGER, name VARCHAR(20))'));
    const table = await driver.schemaSnapshot();
    expect(table.some((line) => line.includes('conformance_snap'))).toBe(true);
    expect(snapshotDigest(table)).toBe(await driver.schemaFingerprint());
    await driver.execute(statement('CREATE INDEX conformance_snap_name ON conformance_snap (name)'));
    const diff = diffSnapshots(table, await driver.schemaSnapshot());
    expect(diff.removed).toEqual([]);
    expect(diff.added.length).toBeGreaterThan(0);
    expect(diff.added.every((line) => line.includes('conformance_snap_name'))).toBe(true);
  });
}

/** A recorded schema with every field set; `lines` as given. */
function recordedSchema(lines: ReadonlyArray<string>, overrides: Partial<RecordedSchema> = {}): RecordedSchema {
  return { fingerprint: snapshotDigest(lines), lines, at: '2026-01-02T03:04:05.678Z', runId: 'run-1', version: '3', toolVersion: '0.1.0', ...overrides };
}

function describeSchemaRecord(open: Open): void {
  it('reads no recorded schema before one is written, creating nothing, in any session', async () => {
    const reader = await open({ readOnly: true });
    expect(await reader.readRecordedSchema()).toBeUndefined();
    const driver = await open();
    expect(await driver.readRecordedSchema()).toBeUndefined();
    expect(await driver.readState()).toEqual({ format: undefined, rows: [] });
    await driver.prepareMetadata(1);
    expect(await driver.readRecordedSchema()).toBeUndefined();
    await expect(reader.recordSchema(recordedSchema([]))).rejects.toThrow();
  });

  it('records the schema snapshot, replaces it, and lets a read-only session read it', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    await driver.execute(statement('CREATE TABLE conformance_rec (id INTEGER)'));
    const first = recordedSchema(await driver.schemaSnapshot());
    await driver.recordSchema(first);
    expect(await driver.readRecordedSchema()).toEqual(first);
    const second = recordedSchema(['line with \'quotes\', "doubles", `ticks`, \\ and unicode: \u00e9\u4e2d\ud83d\ude00'], { version: null, runId: 'run-2' });
    await driver.recordSchema(second);
    expect(await driver.readRecordedSchema()).toEqual(second);
    expect((await driver.readState()).format).toBe(1);
    const reader = await open({ readOnly: true });
    expect(await reader.readRecordedSchema()).toEqual(second);
  });

  it('keeps a large snapshot whole (well over 64 KB)', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    const lines = Array.from({ length: 3000 }, (_, i) => `table conformance_${String(i).padStart(4, '0')} ${'c integer, '.repeat(10)}`);
    const big = recordedSchema(lines);
    await driver.recordSchema(big);
    expect(await driver.readRecordedSchema()).toEqual(big);
  });

  it('writes the record inside an open transaction: rolled back with it', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    const kept = recordedSchema(['kept']);
    await driver.recordSchema(kept);
    await driver.begin();
    await driver.recordSchema(recordedSchema(['discarded']));
    await driver.rollback();
    expect(await driver.readRecordedSchema()).toEqual(kept);
  });

  it('records under the lock it holds', async () => {
    const driver = await open();
    await driver.prepareMetadata(1);
    expect(await driver.tryLock(owner('rec'))).toEqual({ acquired: true });
    const record = recordedSchema(['under lock']);
    await driver.recordSchema(record);
    await driver.unlock();
    expect(await driver.readRecordedSchema()).toEqual(record);
  });
}
