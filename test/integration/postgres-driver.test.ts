import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, LockOwner, ServerDriverOptions } from '../../src/core/ports.js';
import { MigratorError } from '../../src/core/errors.js';
import { advisoryKey, openPostgres, transactionPoolingError } from '../../src/drivers/postgres/driver.js';
import { describeDriverConformance, auditEntry, historyRow, type ConformanceTarget } from '../conformance/driver-conformance.js';
import { describeLockContention } from '../conformance/lock-contention.js';
import { describeUnlockConformance, type ServerSql } from '../conformance/unlock-conformance.js';
import { describeAuditConformance } from '../conformance/audit-conformance.js';
import { truncateName } from '../../src/drivers/postgres/session.js';
import { heartbeatName } from '../../src/drivers/postgres/lease.js';
import { createDatabase, findServer, type Server, type TestDatabase } from '../support/databases.js';

const { server, skip } = await findServer('postgres');
if (skip !== undefined) console.warn(skip);

const APP = `migrator 0.0.0-test test-host ${process.pid}`;
const owner = (runId: string): LockOwner => ({ runId, host: 'test-host', pid: process.pid, actor: `user-${runId}` });
const statement = (sql: string) => ({ sql, line: 1, column: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The rejection of `promise`; fails the test when it resolves. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error);

function options(url: string, overrides: Partial<ServerDriverOptions> = {}): ServerDriverOptions {
  return { url, readOnly: false, lockStrategy: 'advisory', ddlLockTimeoutMs: 5000, statementTimeoutMs: undefined, applicationName: APP, ...overrides };
}

function target(lockStrategy: 'advisory' | 'table'): ConformanceTarget {
  return {
    async fresh() {
      const database = await createDatabase(server as Server, `conformance ${lockStrategy}`);
      return {
        open: (open) => openPostgres(options(database.url, { lockStrategy, readOnly: open?.readOnly ?? false, leaseMs: open?.leaseMs })),
        cleanup: () => database.drop(),
      };
    },
  };
}

const SQL: ServerSql = {
  sleep: (seconds) => `SELECT pg_sleep(${seconds})`,
  expireLease: `UPDATE migrator_lock SET expires_at = clock_timestamp() - interval '1 minute' WHERE id = 1`,
};

describe.skipIf(!server)('PostgreSQL', () => {
  describeDriverConformance('PostgreSQL (advisory)', target('advisory'));
  describeDriverConformance('PostgreSQL (table)', target('table'));
  describeLockContention('PostgreSQL (advisory)', target('advisory'));
  describeLockContention('PostgreSQL (table)', target('table'));
  describeUnlockConformance('PostgreSQL (advisory)', target('advisory'));
  describeUnlockConformance('PostgreSQL (table)', target('table'), SQL);
  describeAuditConformance('PostgreSQL', target('advisory'));

  describe('PostgreSQL driver', () => {
    let database: TestDatabase;
    let closers: Array<() => Promise<unknown>> = [];
    const open = async (overrides: Partial<ServerDriverOptions> = {}): Promise<Driver> => {
      const driver = await openPostgres(options(database.url, overrides));
      closers.push(() => driver.close());
      return driver;
    };
    /** A plain connection, to look at and tamper with the database behind the driver's back. */
    const raw = async (): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: database.url, application_name: 'psql' });
      client.on('error', () => undefined);
      await client.connect();
      closers.push(() => client.end().catch(() => undefined));
      return client;
    };
    const value = async (client: pg.Client, sql: string, values: unknown[] = []): Promise<unknown> =>
      Object.values((await client.query(sql, values)).rows[0] ?? {})[0];

    beforeEach(async () => {
      database = await createDatabase(server as Server, 'pg driver');
    });
    afterEach(async () => {
      for (const close of closers.reverse()) await close();
      closers = [];
      await database.drop();
    });

    describe('session', () => {
      it('applies lock_timeout, statement_timeout, idle timeout and application_name, and labels without secrets', async () => {
        const driver = await open({ ddlLockTimeoutMs: 1234, statementTimeoutMs: 60_000, applicationName: 'migrator 1.2.3 host-a 42' });
        expect(await driver.queryValue('SHOW lock_timeout')).toBe('1234ms');
        expect(await driver.queryValue('SHOW statement_timeout')).toBe('1min');
        expect(await driver.queryValue('SHOW idle_in_transaction_session_timeout')).toBe('0');
        expect(await driver.queryValue('SHOW application_name')).toBe('migrator 1.2.3 host-a 42');
        expect(await driver.queryValue('SHOW default_transaction_read_only')).toBe('off');
        expect(driver.label).toBe(`PostgreSQL postgres@127.0.0.1:5432/${database.name}`);
        // The server's default_transaction_isolation is read committed.
        expect(driver.capabilities).toEqual({ transactionalDdl: true, statementTimeout: true, auditAppendWithoutLock: true });
      });

      it('does not let audit rows be appended without the lock where transactions default to repeatable read', async () => {
        const client = await raw();
        await client.query(`ALTER DATABASE ${pg.escapeIdentifier(database.name)} SET default_transaction_isolation = 'repeatable read'`);
        // A lock holder's transaction would keep a snapshot older than such a row, and fail to re-chain.
        expect((await open()).capabilities.auditAppendWithoutLock).toBe(false);
      });

      it('has no statement timeout by default and cuts application_name to 63 bytes', async () => {
        const driver = await open({ applicationName: `migrator 1.0.0 ${'h'.repeat(60)} 1` });
        expect(await driver.queryValue('SHOW statement_timeout')).toBe('0');
        expect(await driver.queryValue('SHOW application_name')).toBe(`migrator 1.0.0 ${'h'.repeat(48)}`);
        // Cut by UTF-8 bytes, never inside a character (PostgreSQL then shows non-ASCII bytes as ?).
        expect(truncateName(`${'a'.repeat(62)}é`)).toBe('a'.repeat(62));
      });

      it('bounds one statement with its own timeout, then restores the session value (in and out of a transaction)', async () => {
        const driver = await open({ statementTimeoutMs: 60_000 });
        const outside = await rejection(driver.execute(statement('SELECT pg_sleep(2)'), { timeoutMs: 50 }));
        expect(driver.describeError(outside)).toMatchObject({ code: '57014', kind: 'other' });
        expect(await driver.queryValue('SHOW statement_timeout')).toBe('1min');
        await driver.begin();
        await driver.execute(statement('SELECT 1'), { timeoutMs: 50 });
        expect(await driver.queryValue('SHOW statement_timeout')).toBe('1min');
        await expect(driver.execute(statement('SELECT pg_sleep(2)'), { timeoutMs: 50 })).rejects.toThrow(/statement timeout/);
        await driver.rollback();
        expect(await driver.queryValue('SHOW statement_timeout')).toBe('1min');
      });

      it('runs DO blocks and several statements through the simple protocol; queryValue keeps types and duplicate columns', async () => {
        const driver = await open();
        await driver.execute(statement('DO $$ BEGIN CREATE TABLE do_t (id int); END $$'));
        expect(await driver.execute(statement('INSERT INTO do_t VALUES (1); INSERT INTO do_t VALUES (2)'))).toEqual({ rows: 2 });
        expect(await driver.queryValue('SELECT count(*) = 2 FROM do_t')).toBe(true);
        expect(await driver.queryValue("SELECT 'a' AS x, 'b' AS x")).toBe('a');
        expect(await driver.queryValue('SELECT id FROM do_t WHERE id > 5')).toBeUndefined();
        // With a timeout the statement runs between two SETs: their tags are not counted.
        expect(await driver.execute(statement('UPDATE do_t SET id = id + 10; CREATE TABLE t_as AS SELECT * FROM do_t'), { timeoutMs: 5000 })).toEqual({ rows: 2 });
      });

      it('read-only: reads, refuses writes with a plain Error, and creates nothing', async () => {
        const reader = await open({ readOnly: true });
        expect(await reader.queryValue('SHOW default_transaction_read_only')).toBe('on');
        expect(await reader.readState()).toEqual({ format: undefined, rows: [] });
        expect(await reader.readAuditHead()).toBe('');
        for (const write of [reader.tryLock(owner('r')), reader.prepareMetadata(1), reader.begin(), reader.writeHistory(historyRow('1')), reader.appendAudit(auditEntry('h', ''))]) {
          const error = await rejection(write);
          expect(error).not.toBeInstanceOf(MigratorError);
          expect((error as Error).message).toMatch(/read-only/);
        }
        const refused = await rejection(reader.execute(statement('CREATE TABLE sneaky (id int)')));
        expect(reader.describeError(refused).code).toBe('25006');
        const client = await raw();
        expect(await value(client, `SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`)).toBe(0);
        expect(await value(client, `SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).toBe(0);
      });

      it('keeps the metadata in the current schema of the session', async () => {
        const client = await raw();
        await client.query(`CREATE SCHEMA app; ALTER DATABASE "${database.name}" SET search_path = app, public`);
        const driver = await open();
        await driver.prepareMetadata(1);
        expect(await value(client, `SELECT to_regclass('app.migrator_history') IS NOT NULL`)).toBe(true);
        expect(await value(client, `SELECT to_regclass('public.migrator_history') IS NULL`)).toBe(true);
      });

      it('connecting to a port with nothing listening: E_CONNECT naming host, port, database and user, never the password', async () => {
        const error = await rejection(openPostgres(options('postgres://u:s3cret@127.0.0.1:1/db', { connectTimeoutMs: 2000 })));
        expect(error).toBeInstanceOf(MigratorError);
        expect(error).toMatchObject({ code: 'E_CONNECT' });
        const { message, hint } = error as MigratorError;
        expect(message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/db as u: .*ECONNREFUSED/);
        expect(`${message} ${hint ?? ''} ${JSON.stringify((error as MigratorError).details)}`).not.toContain('s3cret');
        expect((error as MigratorError).cause).toBeUndefined();
      });
    });

    describe('advisory lock', () => {
      it('names the holder (owner, host and pid from application_name, user, since) and frees on unlock', async () => {
        const a = await open({ applicationName: 'migrator 9.9.9 host-a 4242' });
        const b = await open();
        const before = Date.now();
        expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
        expect(await a.queryValue('SHOW application_name')).toBe('migrator 9.9.9 host-a 4242 run-a');
        const refused = await b.tryLock(owner('run-b'));
        expect(refused).toMatchObject({ acquired: false, holder: { owner: 'run-a', host: 'host-a', pid: 4242, user: 'postgres' } });
        const since = refused.acquired ? '' : (refused.holder?.since ?? '');
        expect(Math.abs(Date.parse(since) - before)).toBeLessThan(60_000);
        await a.unlock();
        expect(await a.queryValue('SHOW application_name')).toBe('migrator 9.9.9 host-a 4242');
        expect(await b.tryLock(owner('run-b'))).toEqual({ acquired: true });
        await b.unlock();
      });

      it('names a holder that is not migrator by its backend pid and client address', async () => {
        const client = await raw();
        const key = advisoryKey(database.name, 'public');
        await client.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
        const pid = await value(client, 'SELECT pg_backend_pid()');
        const driver = await open();
        expect(await driver.tryLock(owner('run-a'))).toEqual({ acquired: false, holder: expect.objectContaining({ pid, host: '127.0.0.1', user: 'postgres' }) });
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
        expect(await driver.tryLock(owner('run-a'))).toEqual({ acquired: true });
        await driver.unlock();
      });

      it('is re-entrant without stacking: one unlock releases it on the server', async () => {
        const driver = await open();
        const client = await raw();
        const held = () => value(client, `SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND granted`);
        await driver.tryLock(owner('run-a'));
        await driver.tryLock(owner('run-a'));
        expect(await held()).toBe(1);
        await driver.unlock();
        expect(await held()).toBe(0);
      });

      it('a lock the backend lost (pg_advisory_unlock_all) fails assertLock and unlock with E_LOCK_LOST', async () => {
        const driver = await open();
        await driver.tryLock(owner('run-a'));
        await driver.execute(statement('SELECT pg_advisory_unlock_all()'));
        await expect(driver.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST', message: expect.stringMatching(/no longer lists/) });
        // The same check sent with COMMIT in one round trip: nothing of the step commits.
        await driver.prepareMetadata(2);
        await driver.begin();
        await expect(driver.commitStep(historyRow('1'), auditEntry('h1', ''))).rejects.toMatchObject({ code: 'E_LOCK_LOST', message: expect.stringMatching(/no longer lists/) });
        await driver.rollback();
        expect((await driver.readState()).rows).toEqual([]);
        expect(await driver.readAuditHead()).toBe('');
        await expect(driver.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(driver.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(driver.unlock()).resolves.toBeUndefined();
      });

      it('derives a signed 64-bit key from database and schema', () => {
        const key = advisoryKey('app', 'public');
        expect(key).toBe(advisoryKey('app', 'public'));
        expect(key).not.toBe(advisoryKey('app', 'tenant_1'));
        expect(BigInt.asIntN(64, key)).toBe(key);
      });

      it('detects transaction pooling from two backend pids', () => {
        expect(transactionPoolingError(101, 101)).toBeUndefined();
        const error = transactionPoolingError(101, 202);
        expect(error).toBeInstanceOf(MigratorError);
        expect(error).toMatchObject({ code: 'E_CONFIG', hint: 'Connect directly to PostgreSQL, or set lock.strategy: table' });
        expect(error?.message).toMatch(/^PgBouncer \(or another transaction-pooling proxy\) is between migrator and PostgreSQL: session advisory locks do not work through transaction pooling/);
      });
    });

    describe('table lock', () => {
      it('a lease taken over after expiry: lockLost() after the next heartbeat, writeHistory and unlock fail with E_LOCK_LOST', async () => {
        const a = await open({ lockStrategy: 'table', leaseMs: 900 });
        const b = await open({ lockStrategy: 'table', leaseMs: 900 });
        const client = await raw();
        expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
        await a.prepareMetadata(1);
        await a.writeHistory(historyRow('1'));
        let taken = false;
        // A heartbeat of A landing between the expiry and B's attempt renews the lease: try again.
        for (let i = 0; i < 5 && !taken; i++) {
          await client.query(`UPDATE migrator_lock SET expires_at = clock_timestamp() - interval '1 minute'`);
          taken = (await b.tryLock(owner('run-b'))).acquired;
        }
        expect(taken).toBe(true);
        expect(a.lockLost()).toBe(false);
        for (let waited = 0; !a.lockLost() && waited < 3000; waited += 50) await sleep(50);
        expect(a.lockLost()).toBe(true);
        await expect(a.writeHistory(historyRow('2'))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(a.assertLock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        // The check sent with COMMIT (one round trip) fails closed too: nothing of the step commits.
        await a.begin();
        await expect(a.commitStep(historyRow('3'), auditEntry('h1', ''))).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await a.rollback();
        expect((await b.readState()).rows.map((row) => row.version)).toEqual(['1']);
        expect(await b.readAuditHead()).toBe('');
        await expect(a.unlock()).rejects.toMatchObject({ code: 'E_LOCK_LOST' });
        await expect(b.assertLock()).resolves.toBeUndefined();
        expect(await value(client, 'SELECT run_id FROM migrator_lock')).toBe('run-b');
        await b.unlock();
      });

      it('renews on a heartbeat connection of its own, named after the run; records the holder backend', async () => {
        const a = await open({ lockStrategy: 'table', leaseMs: 900 });
        const client = await raw();
        expect(await value(client, `SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1`, [`${APP} heartbeat`])).toBe(0);
        await a.tryLock(owner('run-a'));
        const beat = await value(client, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [`${APP} heartbeat`]);
        expect(beat).toEqual(expect.any(Number));
        const backend = await value(client, 'SELECT backend_pid FROM migrator_lock WHERE id = 1');
        expect(backend).not.toBe(beat);
        expect(await value(client, 'SELECT application_name FROM pg_stat_activity WHERE pid = $1', [backend])).toBe(APP);
        // Killed mid-run, the heartbeat falls back to the run's connection while that is idle.
        await client.query('SELECT pg_terminate_backend($1)', [beat]);
        await sleep(1_500);
        await expect(a.assertLock()).resolves.toBeUndefined();
        expect(a.lockLost()).toBe(false);
        expect(await value(client, 'SELECT expires_at > clock_timestamp() FROM migrator_lock WHERE id = 1')).toBe(true);
        await a.unlock();
        expect(await value(client, 'SELECT backend_pid FROM migrator_lock WHERE id = 1')).toBeNull();
        await a.close();
        expect(await value(client, `SELECT count(*)::int FROM pg_stat_activity WHERE application_name LIKE $1`, [`${APP}%`])).toBe(0);
      });

      it('adds the backend column to a lease table made before it, and then records the holder backend', async () => {
        const client = await raw();
        await client.query(`CREATE TABLE migrator_lock (id integer PRIMARY KEY CHECK (id = 1), run_id text, actor text, host text, pid integer,
          acquired_at timestamptz, heartbeat_at timestamptz, expires_at timestamptz, generation bigint NOT NULL DEFAULT 0)`);
        await client.query('INSERT INTO migrator_lock (id, generation) VALUES (1, 7)');
        const a = await open({ lockStrategy: 'table' });
        const reader = await open({ lockStrategy: 'table', readOnly: true });
        expect(await a.tryLock(owner('run-a'))).toEqual({ acquired: true });
        expect(await value(client, 'SELECT backend_pid FROM migrator_lock WHERE id = 1')).toEqual(expect.any(Number));
        expect(await reader.inspectLock()).toMatchObject({ state: 'held', lease: { generation: '8', connection: { status: 'idle' } } });
        await a.unlock();
      });

      it('a heartbeat name that would not fit keeps its suffix within 63 bytes', () => {
        expect(heartbeatName('migrator 0.1.0 short 42')).toBe('migrator 0.1.0 short 42 heartbeat');
        const name = heartbeatName(`migrator 0.1.0 ${'h'.repeat(80)} 42`);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
        expect(name.endsWith(' heartbeat')).toBe(true);
      });

      it('fails tryLock with E_CONNECT, taking nothing, when the heartbeat connection cannot be opened', async () => {
        const client = await raw();
        const role = `migrator_one_${process.pid}`;
        await client.query(`DROP ROLE IF EXISTS ${role}`);
        await client.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`);
        closers.push(() => client.query(`DROP ROLE IF EXISTS ${role}`));
        const url = new URL(database.url);
        url.username = role;
        url.password = '';
        const driver = await open({ url: url.toString(), lockStrategy: 'table' });
        const error = await rejection(driver.tryLock(owner('run-a')));
        expect(error).toMatchObject({ code: 'E_CONNECT', message: expect.stringMatching(/^cannot open the lease heartbeat connection to PostgreSQL .*too many connections for role/) });
        expect((error as MigratorError).hint).toContain('lock.strategy: table renews its lease on a second connection');
        expect(await driver.inspectLock()).toMatchObject({ state: 'free' });
        await driver.close();
      });

      it('a holder inside its migration transaction does not make tryLock wait (NOWAIT), and is named', async () => {
        const a = await open({ lockStrategy: 'table' });
        const b = await open({ lockStrategy: 'table', ddlLockTimeoutMs: 10_000 });
        await a.tryLock(owner('run-a'));
        await a.prepareMetadata(1);
        await a.begin();
        await a.writeHistory(historyRow('1'));
        const started = Date.now();
        expect(await b.tryLock(owner('run-b'))).toMatchObject({ acquired: false, holder: { owner: 'run-a', host: 'test-host', pid: process.pid, user: 'user-run-a' } });
        expect(Date.now() - started).toBeLessThan(2000);
        await a.commit();
        await a.unlock();
        expect(await b.tryLock(owner('run-b'))).toEqual({ acquired: true });
        await b.unlock();
      });
    });

    describe('errors', () => {
      it('a syntax error: SQLSTATE 42601 and the position of the bad token', async () => {
        const driver = await open();
        const sql = 'CREATE TABEL t (id int)';
        const info = driver.describeError(await rejection(driver.execute(statement(sql))));
        expect(info).toMatchObject({ code: '42601', kind: 'other', message: expect.stringMatching(/syntax error at or near "TABEL"/) });
        expect(sql.slice((info.position ?? 0) - 1)).toMatch(/^TABEL/);
      });

      it('DDL waiting on a table lock longer than lock_timeout: kind lock_timeout, 55P03; in a transaction the transaction is aborted', async () => {
        const holder = await raw();
        await holder.query('CREATE TABLE t (id int)');
        await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
        const driver = await open({ ddlLockTimeoutMs: 200 });
        const started = Date.now();
        const info = driver.describeError(await rejection(driver.execute(statement('ALTER TABLE t ADD COLUMN x int'))));
        expect(info).toMatchObject({ code: '55P03', kind: 'lock_timeout' });
        expect(Date.now() - started).toBeLessThan(3000);
        await driver.begin();
        await expect(driver.execute(statement('ALTER TABLE t ADD COLUMN x int'))).rejects.toMatchObject({ code: '55P03' });
        const aborted = driver.describeError(await rejection(driver.execute(statement('SELECT 1'))));
        expect(aborted).toMatchObject({ code: '25P02', kind: 'other' });
        await expect(driver.commit()).rejects.toThrow(/rolled the transaction back/);
        await holder.query('ROLLBACK');
        await driver.execute(statement('ALTER TABLE t ADD COLUMN x int'));
      });

      it('a killed connection: the statement rejects as connection_lost, then every call is E_CONNECT (no reconnect)', async () => {
        const driver = await open();
        const pid = await driver.queryValue('SELECT pg_backend_pid()');
        await driver.tryLock(owner('run-a'));
        const killer = await raw();
        const running = rejection(driver.execute(statement('SELECT pg_sleep(10)')));
        await sleep(200);
        await killer.query('SELECT pg_terminate_backend($1)', [pid]);
        const info = driver.describeError(await running);
        expect(info.kind).toBe('connection_lost');
        expect(driver.lockLost()).toBe(true);
        const next = await rejection(driver.execute(statement('SELECT 1')));
        expect(next).toMatchObject({ code: 'E_CONNECT', message: expect.stringMatching(/^the connection to PostgreSQL was lost/) });
        expect(driver.describeError(next).kind).toBe('connection_lost');
        await expect(driver.queryValue('SELECT 1')).rejects.toMatchObject({ code: 'E_CONNECT' });
        await expect(driver.assertLock()).rejects.toMatchObject({ code: 'E_CONNECT' });
        expect(await value(killer, 'SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).toBe(0);
      });

      it('an idle connection killed: the next call rejects with E_CONNECT, described as connection_lost', async () => {
        const driver = await open();
        const pid = await driver.queryValue('SELECT pg_backend_pid()');
        const killer = await raw();
        await killer.query('SELECT pg_terminate_backend($1)', [pid]);
        await sleep(200);
        const error = await rejection(driver.execute(statement('SELECT 1')));
        expect(error).toMatchObject({ code: 'E_CONNECT' });
        expect(driver.describeError(error).kind).toBe('connection_lost');
        await expect(driver.close()).resolves.toBeUndefined();
      });
    });

    describe('metadata and leftovers', () => {
      it('a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an INVALID index that leftovers() names', async () => {
        const driver = await open();
        await driver.execute(statement('CREATE TABLE dup (v int)'));
        await driver.execute(statement('INSERT INTO dup VALUES (1), (1)'));
        expect(await driver.leftovers()).toEqual([]);
        const info = driver.describeError(await rejection(driver.execute(statement('CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v)'))));
        expect(info).toMatchObject({ code: '23505', detail: expect.stringMatching(/^DETAIL: Key \(v\)=\(1\) is duplicated/) });
        expect(await driver.leftovers()).toEqual([
          'index public.dup_v on dup is INVALID, left by a failed CREATE INDEX CONCURRENTLY: drop it with DROP INDEX CONCURRENTLY public.dup_v before running the migration again',
        ]);
      });

      it('rejects TRUNCATE of the audit log', async () => {
        const driver = await open();
        await driver.prepareMetadata(1);
        await driver.appendAudit(auditEntry('h1', ''));
        const error = await rejection(driver.execute(statement('TRUNCATE migrator_audit')));
        expect((error as Error).message).toMatch(/migrator_audit is append-only/);
        expect(await driver.readAuditHead()).toBe('h1');
      });

      it('racing creators of the metadata tables both succeed', async () => {
        const sessions = await Promise.all([open(), open(), open()]);
        const results = await Promise.all(sessions.map((driver) => driver.prepareMetadata(1)));
        expect(results.filter((result) => result.created)).toHaveLength(1);
        expect(await sessions[0]?.readState()).toEqual({ format: 1, rows: [] });
      });
    });
  });
});
