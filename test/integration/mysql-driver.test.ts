/**
 * The MySQL / MariaDB driver against a real server: the shared conformance and lock-contention
 * suites for both lock strategies, then what only MySQL does (GET_LOCK, metadata-lock timeouts,
 * DELIMITER-free routine bodies, KILL). Every test gets its own database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import type { Driver, LockOwner, ServerDriverOptions } from '../../src/core/ports.js';
import type { Statement } from '../../src/core/model.js';
import { MigratorError } from '../../src/core/errors.js';
import { parseMigrationFile } from '../../src/core/source/parse.js';
import { openMysql } from '../../src/drivers/mysql/driver.js';
import { advisoryLockName } from '../../src/drivers/mysql/advisory.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { createDatabase, findServer } from '../support/databases.js';
import type { Server, TestDatabase } from '../support/databases.js';
import { auditEntry, describeDriverConformance, historyRow } from '../conformance/driver-conformance.js';
import type { ConformanceTarget } from '../conformance/driver-conformance.js';
import { describeLockContention } from '../conformance/lock-contention.js';
import { describeUnlockConformance, type ServerSql } from '../conformance/unlock-conformance.js';
import { describeAuditConformance } from '../conformance/audit-conformance.js';

const { server, skip } = await findServer('mysql');
if (skip !== undefined) console.warn(skip);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const statement = (sql: string): Statement => ({ sql, line: 1, column: 1 });
const owner = (runId: string, extra: Partial<LockOwner> = {}): LockOwner => ({ runId, host: 'test-host', pid: process.pid, actor: `user-${runId}`, ...extra });
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error);

function requireServer(): Server {
  if (server === undefined) throw new Error('no MySQL server');
  return server;
}

function driverOptions(url: string, overrides: Partial<ServerDriverOptions> = {}): ServerDriverOptions {
  return {
    url, readOnly: false, lockStrategy: 'advisory', ddlLockTimeoutMs: 5_000, statementTimeoutMs: undefined,
    applicationName: `migrator 0.0.0-test test-host ${process.pid}`, ...overrides,
  };
}

function target(lockStrategy: ServerDriverOptions['lockStrategy']): ConformanceTarget {
  return {
    async fresh() {
      const database = await createDatabase(requireServer(), `conformance ${lockStrategy}`);
      return {
        open: (options) => openMysql(driverOptions(database.url, { lockStrategy, readOnly: options?.readOnly ?? false, leaseMs: options?.leaseMs })),
        cleanup: () => database.drop(),
      };
    },
  };
}

const SQL: ServerSql = {
  sleep: (seconds) => `SELECT SLEEP(${seconds})`,
  expireLease: 'UPDATE migrator_lock SET expires_at = 0 WHERE id = 1',
};

describe.skipIf(!server)('MySQL', () => {
  describeDriverConformance('MySQL (advisory)', target('advisory'));
  describeDriverConformance('MySQL (table)', target('table'));
  describeLockContention('MySQL (advisory)', target('advisory'));
  describeLockContention('MySQL (table)', target('table'));
  describeUnlockConformance('MySQL (advisory)', target('advisory'));
  describeUnlockConformance('MySQL (table)', target('table'), SQL);
  describeAuditConformance('MySQL', target('advisory'));

  describe('MySQL driver', () => {
    let cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups) await cleanup();
      cleanups = [];
    });
    // Sessions close before their database is dropped: they go first in the cleanup list.
    const database = async (label: string): Promise<TestDatabase> => {
      const created = await createDatabase(requireServer(), label);
      cleanups.push(() => created.drop());
      return created;
    };
    const open = async (url: string, overrides: Partial<ServerDriverOptions> = {}): Promise<Driver> => {
      const driver = await openMysql(driverOptions(url, overrides));
      cleanups.unshift(() => driver.close());
      return driver;
    };
    /** A plain mysql2 connection, to look and tamper behind the driver's back. */
    const raw = async (url: string): Promise<mysql.Connection> => {
      const connection = await mysql.createConnection({ uri: url });
      connection.on('error', () => undefined);
      cleanups.unshift(() => connection.end().catch(() => connection.destroy()));
      return connection;
    };
    const isMariaDb = async (driver: Driver): Promise<boolean> => /mariadb/i.test(String(await driver.queryValue('SELECT VERSION()')));

    describe('opening', () => {
      it('configures the session: lock waits in whole seconds, the statement timeout, the label', async () => {
        const db = await database('settings');
        const driver = await open(db.url, { ddlLockTimeoutMs: 2_500, statementTimeoutMs: 1_500 });
        expect(Number(await driver.queryValue('SELECT @@lock_wait_timeout'))).toBe(3);
        expect(Number(await driver.queryValue('SELECT @@innodb_lock_wait_timeout'))).toBe(3);
        const mariadb = await isMariaDb(driver);
        const timeout = await driver.queryValue(mariadb ? 'SELECT @@max_statement_time' : 'SELECT @@max_execution_time');
        expect(Number(timeout)).toBe(mariadb ? 1.5 : 1_500);
        expect(driver.capabilities).toEqual({ transactionalDdl: false, statementTimeout: mariadb, auditAppendWithoutLock: true });
        const url = new URL(db.url);
        expect(driver.label).toBe(`MySQL ${url.username}@${url.hostname}:${url.port || 3306}/${db.name}`);
        const short = await open(db.url, { ddlLockTimeoutMs: 200 });
        expect(Number(await short.queryValue('SELECT @@lock_wait_timeout'))).toBe(1);
      });

      it("leaves the server's sql_mode alone: no IGNORE_SPACE, so `count (n int)` is a table definition", async () => {
        const db = await database('sqlmode');
        const driver = await open(db.url);
        expect(String(await driver.queryValue('SELECT @@SESSION.sql_mode'))).toBe(String(await driver.queryValue('SELECT @@GLOBAL.sql_mode')));
        await driver.execute({ sql: 'CREATE TABLE count (n int)', line: 1, column: 1 });
        expect(Number(await driver.queryValue("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'count'"))).toBe(1);
      });

      it('refuses to connect to a closed port with E_CONNECT, never echoing the password', async () => {
        const error = await failure(openMysql(driverOptions('mysql://alice:s3cret-pass@127.0.0.1:1/appdb', { connectTimeoutMs: 2_000 })));
        expect(error).toBeInstanceOf(MigratorError);
        const { code, message, hint } = error as MigratorError;
        expect(code).toBe('E_CONNECT');
        expect(message).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:1\/appdb as alice: /);
        expect(`${message} ${hint ?? ''}`).not.toContain('s3cret');
      });

      it('reports a refused login with E_CONNECT and a hint, never echoing the password', async () => {
        const url = new URL(requireServer().url);
        url.username = 'migrator_nobody';
        url.password = 'wr0ng-s3cret';
        const error = await failure(openMysql(driverOptions(url.toString())));
        expect(error).toMatchObject({ code: 'E_CONNECT', message: expect.stringContaining('as migrator_nobody: Access denied'), hint: expect.stringContaining('password') });
        expect(`${(error as Error).message} ${(error as MigratorError).hint ?? ''}`).not.toContain('wr0ng');
      });

      it('refuses a URL without a database with E_CONFIG', async () => {
        await expect(openMysql(driverOptions('mysql://root:pw@127.0.0.1:3306/'))).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.not.stringContaining('pw') });
      });

      it('read-only: reads, refuses every write and creates nothing', async () => {
        const db = await database('read only');
        const reader = await open(db.url, { readOnly: true });
        expect(await reader.readState()).toEqual({ format: undefined, rows: [] });
        expect(await reader.queryValue('SELECT 41 + 1')).toBe(42);
        await expect(reader.tryLock(owner('r'))).rejects.toThrow(/read-only/);
        await expect(reader.prepareMetadata(1)).rejects.toThrow(/read-only/);
        await expect(reader.begin()).rejects.toThrow(/read-only/);
        await expect(reader.writeHistory(historyRow('1'))).rejects.toThrow(/read-only/);
        await expect(reader.appendAudit(auditEntry('h1', ''))).rejects.toThrow(/read-only/);
        await expect(reader.execute(statement('CREATE TABLE sneaky (id INT)'))).rejects.toMatchObject({ errno: 1792 });
        const admin = await raw(db.url);
        const [rows] = await admin.query({ sql: 'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', values: [db.name], rowsAsArray: true });
        expect(rows).toEqual([[0]]);
      });
    });

    describe('advisory lock', () => {
      it('names the lock within 64 characters, per database: two databases lock independently', async () => {
        expect(advisoryLockName('x'.repeat(64)).length).toBeLessThanOrEqual(64);
        const one = await database('lock one');
        const two = await database('lock two');
        expect(advisoryLockName(one.name)).not.toBe(advisoryLockName(two.name));
        const a = await open(one.url);
        const b = await open(two.url);
        const c = await open(one.url);
        expect(await a.tryLock(owner('a'))).toEqual({ acquired: true });
        expect(await b.tryLock(owner('b'))).toEqual({ acquired: true });
        expect((await c.tryLock(owner('c'))).acquired).toBe(false);
      });

      it('names the holder: its run from migrator_lock, else the connection behind IS_USED_LOCK', async () => {
        const db = await database('holder');
        const a = await open(db.url, { applicationName: 'migrator 1.2.3 host-a 4242' });
        const b = await open(db.url);
        const before = Date.now();
        await a.tryLock(owner('run-a', { host: 'host-a', pid: 4242, actor: 'alice' }));
        const refused = await b.tryLock(owner('run-b'));
        expect(refused).toMatchObject({ acquired: false, holder: { owner: 'run-a', user: 'alice', host: 'host-a', pid: 4242 } });
        const since = Date.parse((refused as { holder: { since: string } }).holder.since);
        expect(Math.abs(since - before)).toBeLessThan(60_000);
        // Without the row (no CREATE privilege, say): the server's word on the connection.
        await (await raw(db.url)).query('DELETE FROM migrator_lock WHERE id = 2');
        const anonymous = await b.tryLock(owner('run-b'));
        expect(anonymous).toMatchObject({ acquired: false, holder: { user: new URL(db.url).username } });
        expect((anonymous as { holder: { owner?: string } }).holder.owner).toBeUndefined();
      });

      it('is re-entrant without nesting: one unlock after two grants frees it for others', async () => {
        const db = await database('reentrant');
        const a = await open(db.url);
        const b = await open(db.url);
        expect(await a.tryLock(owner('a'))).toEqual({ acquired: true });
        expect(await a.tryLock(owner('a'))).toEqual({ acquired: true });
        await a.unlock();
        expect(await b.queryValue(`SELECT IS_FREE_LOCK('${advisoryLockName(db.name)}')`)).toBe(1);
        expect(await b.tryLock(owner('b'))).toEqual({ acquired: true });
      });

      it('unlock and assertLock fail with E_LOCK_LOST once the lock was released behind its back', async () => {
        const db = await database('released');
        const a = await open(db.url);
        await a.tryLock(owner('a'));
        expect(await a.queryValue('SELECT RELEASE_ALL_LOCKS()')).toBe(1);
        await expect(a.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(a.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(a.unlock()).resolves.toBeUndefined();
      });
    });

    describe('statements', () => {
      it('runs DELIMITER-free routine and trigger bodies as single statements', async () => {
        const db = await database('routines');
        const driver = await open(db.url);
        const file = `-- migrate:up
CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(40));
CREATE PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < n DO
    INSERT INTO items (id) VALUES (i);
    SET i = i + 1;
  END WHILE;
END;
CREATE TRIGGER items_note BEFORE INSERT ON items FOR EACH ROW
BEGIN
  IF NEW.note IS NULL THEN SET NEW.note = 'set by trigger?'; END IF;
END;
CALL fill(3);
`;
        const parsed = parseMigrationFile('V1__routines.sql', file, mysqlSyntax);
        expect(parsed.problems).toEqual([]);
        expect(parsed.up.statements).toHaveLength(4);
        for (const each of parsed.up.statements) await driver.execute(each, { timeoutMs: 10_000 });
        expect(await driver.queryValue('SELECT COUNT(*) FROM items')).toBe(3);
        // '?' reached the server as written: nothing treats statements as placeholder templates.
        expect(await driver.queryValue('SELECT note FROM items WHERE id = 2')).toBe('set by trigger?');
        expect(await driver.queryValue('CALL fill(0)')).toBeUndefined();
      });

      it('describes a syntax error with its errno and where in the statement it is', async () => {
        const db = await database('syntax');
        const driver = await open(db.url);
        const sql = 'SELECT id,\n  name\nFROM users\nWHERE id = = 1';
        for (const timeoutMs of [undefined, 5_000]) {
          const error = await failure(driver.execute(statement(sql), { timeoutMs }));
          expect(driver.describeError(error)).toMatchObject({ code: 'ER_PARSE_ERROR (1064)', kind: 'other', position: sql.indexOf('= 1') + 1 });
        }
      });

      it('bounds a statement by the file timeout (MariaDB: any statement)', async (context) => {
        const db = await database('timeout');
        const driver = await open(db.url);
        if (!(await isMariaDb(driver))) context.skip();
        const started = Date.now();
        const error = await failure(driver.execute(statement('SELECT SLEEP(5)'), { timeoutMs: 300 }));
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(driver.describeError(error)).toMatchObject({ code: '1969', kind: 'other' });
        expect(await driver.queryValue('SELECT @@max_statement_time')).toBe(0);
      });

      it('gives up on a metadata lock after lock_wait_timeout: kind lock_timeout', async () => {
        const db = await database('mdl');
        const driver = await open(db.url, { ddlLockTimeoutMs: 1_000 });
        await driver.execute(statement('CREATE TABLE busy (id INT)'));
        const reader = await raw(db.url);
        await reader.query('START TRANSACTION');
        await reader.query('SELECT * FROM busy');
        const started = Date.now();
        const error = await failure(driver.execute(statement('ALTER TABLE busy ADD COLUMN x INT')));
        expect(Date.now() - started).toBeLessThan(4_000);
        expect(driver.describeError(error)).toMatchObject({ kind: 'lock_timeout', code: 'ER_LOCK_WAIT_TIMEOUT (1205)' });
        await reader.query('ROLLBACK');
      });

      it('a killed connection is lost for good: connection_lost, then E_CONNECT, no reconnect', async () => {
        const db = await database('killed');
        const driver = await open(db.url);
        await driver.tryLock(owner('a'));
        const id = await driver.queryValue('SELECT CONNECTION_ID()');
        const admin = await raw(db.url);
        await admin.query(`KILL ${Number(id)}`);
        await sleep(100);
        const first = await failure(driver.execute(statement('SELECT 1')));
        expect(driver.describeError(first).kind).toBe('connection_lost');
        const second = await failure(driver.queryValue('SELECT CONNECTION_ID()'));
        expect(second).toMatchObject({ code: 'E_CONNECT', message: expect.stringMatching(/lost/) });
        expect(driver.describeError(second).kind).toBe('connection_lost');
        expect(driver.lockLost()).toBe(true);
        const other = await open(db.url);
        expect(await other.tryLock(owner('b'))).toEqual({ acquired: true });
      });
    });

    describe('metadata', () => {
      it('keeps the audit append-only for every client, and prepares concurrently without failing', async () => {
        const db = await database('audit');
        const sessions = await Promise.all([1, 2, 3, 4].map(() => open(db.url)));
        const results = await Promise.all(sessions.map((session) => session.prepareMetadata(1)));
        expect(results.filter((r) => r.created).length).toBeGreaterThanOrEqual(1);
        const [driver] = sessions;
        await driver?.appendAudit(auditEntry('h1', ''));
        const admin = await raw(db.url);
        await expect(admin.query("UPDATE migrator_audit SET actor = 'mallory'")).rejects.toMatchObject({ sqlState: '45000', message: 'migrator_audit is append-only' });
        await expect(admin.query('DELETE FROM migrator_audit')).rejects.toThrow(/append-only/);
        const [rows] = await admin.query({ sql: "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'migrator_audit'", rowsAsArray: true });
        expect(rows).toEqual([[2]]);
      });
    });

    describe('table lock', () => {
      it('a lease taken over fails the next history write and is seen by the heartbeat', async () => {
        const db = await database('takeover');
        const a = await open(db.url, { lockStrategy: 'table', leaseMs: 300 });
        await a.prepareMetadata(1);
        expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
        await a.writeHistory(historyRow('1'));
        await (await raw(db.url)).query("UPDATE migrator_lock SET run_id = 'run-x', generation = generation + 1 WHERE id = 1");
        await expect(a.writeHistory(historyRow('2'))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        expect((await a.readState()).rows.map((row) => row.version)).toEqual(['1']);
        await sleep(350);
        expect(a.lockLost()).toBe(true);
        await expect(a.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
      });

      it('renews on a heartbeat connection of its own; records the holder connection and its server', async () => {
        const db = await database('heartbeat');
        const connection = await raw(db.url);
        const ours = async (): Promise<number[]> => {
          const [rows] = await connection.query({ sql: 'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() ORDER BY ID', rowsAsArray: true });
          return (rows as number[][]).map((row) => Number(row[0]));
        };
        const a = await open(db.url, { lockStrategy: 'table', leaseMs: 900 });
        expect(await ours()).toHaveLength(1);
        await a.tryLock(owner('run-a'));
        const [[lease]] = await connection.query({ sql: "SELECT connection_id, connection_server = CONCAT(@@hostname, ':', @@port) FROM migrator_lock WHERE id = 1", rowsAsArray: true }) as unknown as [[[number, number]]];
        expect(lease[1]).toBe(1);
        const beat = (await ours()).filter((id) => id !== Number(lease[0]));
        expect(beat).toHaveLength(1);
        // Killed mid-run, the heartbeat falls back to the run's connection while that is idle.
        await connection.query(`KILL ${beat[0] ?? 0}`);
        await sleep(1_500);
        await expect(a.assertLock()).resolves.toBeUndefined();
        expect(a.lockLost()).toBe(false);
        await a.unlock();
        const [[cleared]] = await connection.query({ sql: 'SELECT connection_id, connection_server FROM migrator_lock WHERE id = 1', rowsAsArray: true }) as unknown as [[[unknown, unknown]]];
        expect(cleared).toEqual([null, null]);
        await a.close();
        await sleep(100);
        expect(await ours()).toEqual([]);
      });

      it('adds connection_server to a lease table made before it', async () => {
        const db = await database('upgrade');
        const connection = await raw(db.url);
        await connection.query(`CREATE TABLE migrator_lock (id TINYINT NOT NULL PRIMARY KEY, run_id VARCHAR(255) NULL, actor TEXT NULL, host TEXT NULL,
          pid BIGINT NULL, pid_scope TEXT NULL, acquired_at BIGINT NULL, heartbeat_at BIGINT NULL, expires_at BIGINT NULL,
          generation BIGINT NOT NULL DEFAULT 0, connection_id BIGINT NULL) ENGINE=InnoDB`);
        const a = await open(db.url, { lockStrategy: 'table' });
        expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
        const reader = await open(db.url, { lockStrategy: 'table', readOnly: true });
        expect(await reader.inspectLock()).toMatchObject({ state: 'held', lease: { connection: { status: 'idle', session: { terminate: expect.stringMatching(/^KILL \d+$/) } } } });
        await a.unlock();
      });

      it('fails tryLock with E_CONNECT, taking nothing, when the heartbeat connection cannot be opened', async () => {
        const db = await database('one connection');
        const admin = await raw(requireServer().url);
        const user = `migrator_one_${process.pid}`;
        await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
        await admin.query(`CREATE USER '${user}'@'%' WITH MAX_USER_CONNECTIONS 1`);
        cleanups.push(async () => {
          const dropper = await mysql.createConnection({ uri: requireServer().url });
          await dropper.query(`DROP USER IF EXISTS '${user}'@'%'`).finally(() => dropper.end());
        });
        await admin.query(`GRANT ALL ON \`${new URL(db.url).pathname.slice(1)}\`.* TO '${user}'@'%'`);
        const url = new URL(db.url);
        url.username = user;
        url.password = '';
        const driver = await open(url.toString(), { lockStrategy: 'table' });
        const error = await failure(driver.tryLock(owner('run-a')));
        expect(error).toMatchObject({ code: 'E_CONNECT', message: expect.stringMatching(/^cannot open the lease heartbeat connection to MySQL .*max_user_connections/) });
        expect(await driver.inspectLock()).toMatchObject({ state: 'free' });
      });

      it('an expired lease goes to the next run; a live one is renewed by the heartbeat', async () => {
        const db = await database('expiry');
        const a = await open(db.url, { lockStrategy: 'table', leaseMs: 300 });
        const b = await open(db.url, { lockStrategy: 'table', leaseMs: 300 });
        await a.tryLock(owner('run-a'));
        await sleep(500);
        expect(await b.tryLock(owner('run-b'))).toMatchObject({ acquired: false, holder: { owner: 'run-a' } });
        expect(a.lockLost()).toBe(false);
        await a.close();
        await sleep(400);
        expect(await b.tryLock(owner('run-b'))).toEqual({ acquired: true });
      });
    });
  });
});
