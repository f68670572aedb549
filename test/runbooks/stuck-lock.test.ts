/**
 * runbooks/stuck-lock.md, run verbatim: a `migrate` process SIGKILLed while the server still runs its
 * statement (PostgreSQL and MariaDB advisory locks: the session is ended by the runbook), a lease
 * left by a dead run on another host whose server connection is still busy (PostgreSQL and
 * MariaDB, lock.strategy: table: the session is ended and the lease expired by hand), a SQLite
 * lease of another host (expired by hand), and a SQLite writer outside migrator (lsof, wait).
 * Each scenario ends with `migrate up` applying what was pending and a clean status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { expect } from 'vitest';
import { sleep } from '../e2e/engines/support.js';
import { expectClean, expectExit } from './scenarios.js';
import { runbookSuite, type Block, type Ctx } from './harness.js';

const TABLE_STRATEGY = 'lock:\n  strategy: table\n';

/** Starts `migrate up` in the background, waits until `busy` says its statement runs, SIGKILLs it. */
async function killMidStatement(ctx: Ctx, busy: () => Promise<boolean>, env: Record<string, string> = {}): Promise<void> {
  const child: ChildProcess = spawn('bash', ['-c', 'exec migrate up --log-level warn'], { cwd: ctx.dir, env: { ...ctx.env, ...env }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('close', resolve));
  for (let i = 0; !(await busy()); i += 1) {
    if (i > 200) throw new Error('the migration never started');
    await sleep(50);
  }
  child.kill('SIGKILL');
  await exited;
}

async function pgClient(ctx: Ctx, applicationName = 'runbook-test'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ctx.url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function mysqlConnection(ctx: Ctx): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ uri: ctx.url ?? '' });
  connection.on('error', () => undefined);
  return connection;
}

await runbookSuite('stuck-lock.md', [
  {
    name: 'postgres-advisory-dead-run',
    engine: 'postgres',
    cases: ['advisory', 'dead'],
    async setup(ctx) {
      // The migration sleeps as long as runbook_sleep says: 120 s for the run that dies, 0 after.
      await ctx.query('CREATE TABLE runbook_sleep (s float); INSERT INTO runbook_sleep VALUES (120)');
      ctx.write('V1__slow.sql', 'SELECT pg_sleep(s) FROM runbook_sleep;\nCREATE TABLE t1 (id int);\n');
      const watcher = await pgClient(ctx);
      try {
        await killMidStatement(ctx, async () => (await watcher.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrator %' AND state = 'active' AND query LIKE '%pg_sleep%'")).rowCount === 1);
        await watcher.query('UPDATE runbook_sleep SET s = 0');
      } finally {
        await watcher.end();
      }
      await expectExit(ctx, 'up --lock-timeout 1s', 7);
    },
    async check(ctx) {
      await expectClean(ctx, '1');
    },
  },
  (() => {
    let blocker: mysql.Connection | undefined;
    const release = async (): Promise<void> => {
      const held = blocker;
      blocker = undefined;
      await held?.end().catch(() => undefined);
    };
    return {
      name: 'mysql-advisory-dead-run',
      engine: 'mysql' as const,
      cases: ['advisory', 'dead'],
      async setup(ctx: Ctx) {
        // MariaDB ends a SLEEP() of a vanished client within seconds, but not a row-lock wait: the
        // dead run's UPDATE waits for a row this test holds until the runbook KILLs it. The test's
        // transaction ends after that block, as the application's would, so the resume runs.
        await ctx.query('CREATE TABLE runbook_gate (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO runbook_gate VALUES (1, 0)');
        blocker = await mysqlConnection(ctx);
        await blocker.query('BEGIN');
        await blocker.query('SELECT * FROM runbook_gate WHERE id = 1 FOR UPDATE');
        setTimeout(() => { void release(); }, 90_000).unref();
        ctx.write('V1__gate.sql', 'UPDATE runbook_gate SET n = n + 1 WHERE id = 1;\nCREATE TABLE t1 (id INT);\n');
        const watcher = await mysqlConnection(ctx);
        try {
          await killMidStatement(ctx, async () => {
            const [rows] = await watcher.query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE 'UPDATE runbook_gate%'");
            return (rows as unknown[]).length === 1;
          }, { MIGRATOR_EXECUTION_LOCK_TIMEOUT: '60s' });
        } finally {
          await watcher.end();
        }
        await expectExit(ctx, 'up --lock-timeout 1s', 7);
      },
      async afterBlock(block: Block) {
        if (block.body.includes('KILL $id')) await release();
      },
      async check(ctx: Ctx) {
        await release();
        await expectClean(ctx, '1');
        expect(await ctx.query('SELECT n FROM runbook_gate')).toBe('1\n');
      },
    };
  })(),
  {
    name: 'postgres-lease-busy-connection',
    engine: 'postgres',
    cases: ['lease'],
    async setup(ctx) {
      ctx.write('./migrator.config.yaml', TABLE_STRATEGY);
      ctx.write('V1__one.sql', 'CREATE TABLE t1 (id int);\n');
      await expectExit(ctx, 'up', 0);
      ctx.write('V2__two.sql', 'CREATE TABLE t2 (id int);\n');
      // A dead run's last statement, still running on the server under migrator's name.
      const busy = await pgClient(ctx, 'migrator 0.1.0 ci-runner-7 4242 4a0631da-ac69-4c3b-92d0-3de3faef9b7d');
      const backend = (await busy.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      void busy.query('SELECT pg_sleep(120)').catch(() => undefined).finally(() => busy.end().catch(() => undefined));
      await ctx.query(`UPDATE migrator_lock SET run_id = '4a0631da-ac69-4c3b-92d0-3de3faef9b7d', actor = 'deploy', host = 'ci-runner-7', pid = 4242,
        acquired_at = clock_timestamp(), heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + interval '60 seconds',
        generation = generation + 1, backend_pid = ${String(backend)} WHERE id = 1`);
      await expectExit(ctx, 'up --lock-timeout 1s', 7);
    },
    async check(ctx) {
      await expectClean(ctx, '2');
    },
  },
  {
    name: 'mysql-lease-busy-connection',
    engine: 'mysql',
    cases: ['lease'],
    async setup(ctx) {
      ctx.write('./migrator.config.yaml', TABLE_STRATEGY);
      ctx.write('V1__one.sql', 'CREATE TABLE t1 (id INT);\n');
      await expectExit(ctx, 'up', 0);
      ctx.write('V2__two.sql', 'CREATE TABLE t2 (id INT);\n');
      const busy = await mysqlConnection(ctx);
      const [idRows] = await busy.query('SELECT CONNECTION_ID() AS id');
      const id = (idRows as Array<{ id: number }>)[0]?.id;
      void busy.query('SELECT SLEEP(120)').catch(() => undefined).finally(() => busy.end().catch(() => undefined));
      await ctx.query(`UPDATE migrator_lock SET run_id = '93869613-e21a-45e6-9fb3-3dba42a38019', actor = 'deploy', host = 'ci-runner-7', pid = 4242,
        connection_id = ${String(id)}, connection_server = CONCAT(@@hostname, ':', @@port), acquired_at = UNIX_TIMESTAMP(NOW(3)) * 1000,
        heartbeat_at = UNIX_TIMESTAMP(NOW(3)) * 1000, expires_at = UNIX_TIMESTAMP(NOW(3)) * 1000 + 60000, generation = generation + 1 WHERE id = 1`);
      await expectExit(ctx, 'up --lock-timeout 1s', 7);
    },
    async check(ctx) {
      await expectClean(ctx, '2');
    },
  },
  {
    name: 'sqlite-lease-other-host',
    engine: 'sqlite',
    cases: ['lease'],
    async setup(ctx) {
      ctx.write('V1__one.sql', 'CREATE TABLE t1 (id INTEGER);\n');
      await expectExit(ctx, 'up', 0);
      ctx.write('V2__two.sql', 'CREATE TABLE t2 (id INTEGER);\n');
      const now = Date.now();
      await ctx.query(`UPDATE migrator_lock SET run_id = 'c2d136cc-e913-4c8e-a29a-368843f42d5a', actor = 'deploy', host = 'ci-runner-7', pid = 4242,
        pid_scope = 'ci-runner-7 pid:[4026531836]', acquired_at = ${now - 5000}, heartbeat_at = ${now - 5000}, expires_at = ${now + 60_000}, generation = generation + 1 WHERE id = 1`);
      await expectExit(ctx, 'up --lock-timeout 1s', 7);
    },
    async check(ctx) {
      await expectClean(ctx, '2');
    },
  },
  {
    name: 'sqlite-writer-outside-migrator',
    engine: 'sqlite',
    cases: ['writer'],
    async setup(ctx) {
      ctx.write('V1__one.sql', 'CREATE TABLE t1 (id INTEGER);\n');
      await expectExit(ctx, 'up', 0);
      ctx.write('V2__two.sql', 'CREATE TABLE t2 (id INTEGER);\n');
      // Another program holds SQLite's write lock for a few seconds, then commits.
      const writer = spawn('python3', ['-c', "import sqlite3, sys, time\nc = sqlite3.connect('migrator.db', isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(10)\nc.execute('COMMIT')\n"], { cwd: ctx.dir, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
      await expectExit(ctx, 'up --lock-timeout 1s', 7);
    },
    async check(ctx) {
      await expectClean(ctx, '2');
    },
  },
]);
