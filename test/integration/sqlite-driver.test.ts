import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { Driver, LockOwner } from '../../src/core/ports.js';
import { openSqlite } from '../../src/drivers/sqlite/driver.js';
import type { SqliteOpenOptions } from '../../src/drivers/sqlite/driver.js';
import { describeDriverConformance, historyRow, type ConformanceTarget } from '../conformance/driver-conformance.js';
import { describeLockContention } from '../conformance/lock-contention.js';
import { describeUnlockConformance } from '../conformance/unlock-conformance.js';
import { describeAuditConformance } from '../conformance/audit-conformance.js';

const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const owner = (runId: string, pid = process.pid): LockOwner => ({ runId, host: os.hostname(), pid, actor: 'tester' });

const sqliteTarget: ConformanceTarget = {
  async fresh() {
    const dir = tempDir();
    const file = path.join(dir, 'conformance.db');
    return {
      open: (options) => openSqlite({ path: file, readOnly: options?.readOnly ?? false, ...(options?.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) }),
      async cleanup() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

describeDriverConformance('SQLite', sqliteTarget);
describeLockContention('SQLite', sqliteTarget);
describeUnlockConformance('SQLite', sqliteTarget);
describeAuditConformance('SQLite', sqliteTarget);

describe('SQLite driver', () => {
  let dir: string;
  let file: string;
  let sessions: Array<Driver | Database.Database> = [];
  const open = async (options: Partial<SqliteOpenOptions> = {}): Promise<Driver> => {
    const driver = await openSqlite({ path: file, readOnly: false, ...options });
    sessions.push(driver);
    return driver;
  };
  /** A raw connection, to look at and tamper with the file behind the driver's back. */
  const raw = (): Database.Database => {
    const db = new Database(file);
    sessions.push(db);
    return db;
  };

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'app.db');
  });
  afterEach(async () => {
    for (const session of sessions) await session.close();
    sessions = [];
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('read-only on a missing file creates no file and reads as empty', async () => {
      const driver = await open({ readOnly: true });
      expect(await driver.readState()).toEqual({ format: undefined, rows: [] });
      expect(await driver.readAuditHead()).toBe('');
      expect(await driver.queryValue('SELECT 1')).toBe(1);
      await expect(driver.execute({ sql: 'CREATE TABLE t (id INTEGER)', line: 1, column: 1 })).rejects.toThrow(/readonly/);
      await expect(driver.begin()).rejects.toThrow(/read-only/);
      await driver.close();
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('read-only on an existing file refuses every write method and changes nothing', async () => {
      await (await open()).prepareMetadata(1);
      const before = fs.readFileSync(file);
      const reader = await open({ readOnly: true });
      await expect(reader.tryLock(owner('r'))).rejects.toThrow(/read-only/);
      await expect(reader.prepareMetadata(2)).rejects.toThrow(/read-only/);
      await expect(reader.begin()).rejects.toThrow(/read-only/);
      await expect(reader.writeHistory(historyRow('1'))).rejects.toThrow(/read-only/);
      await expect(reader.execute({ sql: 'DROP TABLE migrator_meta', line: 1, column: 1 })).rejects.toThrow(/readonly/);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    });

    it('rejects a path in a missing directory with E_CONNECT', async () => {
      const missing = path.join(dir, 'no', 'such', 'dir', 'app.db');
      await expect(openSqlite({ path: missing, readOnly: false })).rejects.toMatchObject({
        code: 'E_CONNECT',
        message: expect.stringContaining(missing),
        hint: expect.stringContaining('does not exist'),
      });
    });

    it('rejects a file that is not a SQLite database with E_CONNECT', async () => {
      fs.writeFileSync(file, 'this is not a database, but it is long enough to have a header '.repeat(4));
      await expect(openSqlite({ path: file, readOnly: false })).rejects.toMatchObject({ code: 'E_CONNECT' });
      await expect(openSqlite({ path: file, readOnly: true })).rejects.toMatchObject({ code: 'E_CONNECT' });
    });

    it('describes itself and keeps the journal mode of the database', async () => {
      raw().pragma('journal_mode = WAL');
      const driver = await open();
      expect(driver.label).toBe(`SQLite ${file}`);
      expect(driver.capabilities).toEqual({ transactionalDdl: true, statementTimeout: false, auditAppendWithoutLock: true });
      await driver.prepareMetadata(1);
      expect(await driver.queryValue('PRAGMA journal_mode')).toBe('wal');
    });
  });

  describe('metadata', () => {
    it('creates the fixed tables, the append-only triggers, the unique prev_hash index and the seq index', async () => {
      await (await open()).prepareMetadata(1);
      await (await open()).tryLock(owner('a'));
      const names = raw().prepare("SELECT name FROM sqlite_master WHERE name LIKE 'migrator_%' ORDER BY name").pluck().all();
      expect(names).toEqual(['migrator_audit', 'migrator_audit_no_delete', 'migrator_audit_no_update', 'migrator_audit_prev_hash', 'migrator_history', 'migrator_history_seq_idx', 'migrator_lock', 'migrator_meta', 'migrator_progress']);
    });

    it('refuses a newer format with a hint to upgrade migrator', async () => {
      const driver = await open();
      await driver.prepareMetadata(3);
      await expect(driver.prepareMetadata(2)).rejects.toMatchObject({ code: 'E_METADATA_VERSION', hint: expect.stringMatching(/upgrade migrator/) });
    });
  });

  describe('lease lock', () => {
    it('takes over the lease of a dead process on this host', async () => {
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
      const ghost = await open();
      expect(await ghost.tryLock(owner('ghost', deadPid))).toEqual({ acquired: true });
      await ghost.close();
      expect(await (await open()).tryLock(owner('next'))).toEqual({ acquired: true });
    });

    it('does not probe a pid recorded by another host or pid namespace', async () => {
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
      const ghost = await open();
      await ghost.tryLock(owner('ghost', deadPid));
      await ghost.close();
      raw().prepare("UPDATE migrator_lock SET pid_scope = 'elsewhere'").run();
      expect(await (await open()).tryLock(owner('next'))).toMatchObject({ acquired: false, holder: { owner: 'ghost', pid: deadPid } });
    });

    it('reports "not acquired" when a reader keeps the lease COMMIT busy, and holds nothing afterwards', async () => {
      const driver = await open();
      await driver.prepareMetadata(1);
      const reader = raw();
      // A reader's SHARED lock lets BEGIN IMMEDIATE through but makes COMMIT (EXCLUSIVE) busy.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM migrator_history').get();
      expect(await driver.tryLock(owner('run-a'))).toEqual({ acquired: false, holder: undefined });
      await expect(driver.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      reader.exec('COMMIT');
      expect(await driver.tryLock(owner('run-a'))).toEqual({ acquired: true });
    });

    it('takes over an expired lease (holder gone without unlock)', async () => {
      const holder = await open({ leaseMs: 300 });
      await holder.tryLock(owner('holder'));
      await holder.close();
      const next = await open();
      expect(await next.tryLock(owner('next'))).toMatchObject({ acquired: false, holder: { owner: 'holder', user: 'tester' } });
      await sleep(400);
      expect(await next.tryLock(owner('next'))).toEqual({ acquired: true });
    });

    it('keeps a lease alive with its heartbeat', async () => {
      const holder = await open({ leaseMs: 90 });
      await holder.tryLock(owner('holder'));
      await sleep(400);
      const next = await open();
      expect((await next.tryLock(owner('next'))).acquired).toBe(false);
      await holder.unlock();
      expect(await next.tryLock(owner('next'))).toEqual({ acquired: true });
    });

    it('fences a holder whose lease was taken over: assertLock, writeHistory and unlock fail', async () => {
      const a = await open();
      await a.prepareMetadata(1);
      await a.tryLock(owner('a'));
      raw().prepare('UPDATE migrator_lock SET expires_at = 0').run();
      const b = await open();
      expect(await b.tryLock(owner('b'))).toEqual({ acquired: true });
      await expect(a.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      await a.begin();
      await expect(a.writeHistory(historyRow('1'))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      await a.rollback();
      await expect(a.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST', message: expect.stringMatching(/taken over/) });
      expect((await b.readState()).rows).toEqual([]);
    });

    it('returns at once, naming the holder, while another connection holds the write lock', async () => {
      const holder = await open();
      await holder.tryLock(owner('holder'));
      await holder.begin();
      const started = Date.now();
      const attempt = await (await open({ busyTimeoutMs: 5000 })).tryLock(owner('next'));
      expect(Date.now() - started).toBeLessThan(1000);
      expect(attempt).toMatchObject({ acquired: false, holder: { owner: 'holder' } });
      await holder.rollback();
    });

    it('keeps the lease when the migration transaction that asserted it rolls back', async () => {
      const holder = await open();
      await holder.tryLock(owner('holder'));
      await holder.begin();
      await holder.assertLock();
      await holder.rollback();
      expect((await (await open()).tryLock(owner('next'))).acquired).toBe(false);
      await expect(holder.unlock()).resolves.toBeUndefined();
    });
  });
});
