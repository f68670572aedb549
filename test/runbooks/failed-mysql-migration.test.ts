/**
 * runbooks/failed-mysql-migration.md, run verbatim on MariaDB/MySQL: a migration failed part-way and
 * settled three ways (resume; undo + repair --as rolled-back; finish + repair --as applied), a run
 * SIGKILLed while its ALTER TABLE waited on the server (in_progress, resumed), a revert that failed
 * part-way (repair --as rolled-back), and a DDL lock timeout (KILL the blocker, resume).
 */
import { spawn } from 'node:child_process';
import mysql from 'mysql2/promise';
import { expect } from 'vitest';
import { sleep } from '../e2e/engines/support.js';
import { expectClean, expectExit } from './scenarios.js';
import { runbookSuite, type Ctx, type Scenario } from './harness.js';

const V1 = `-- migrate:up
CREATE TABLE customers (id BIGINT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(200) NOT NULL);
-- migrate:down
DROP TABLE customers;
`;
const V2 = `-- migrate:up
CREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id BIGINT NOT NULL, total_cents BIGINT NOT NULL);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_total_idx ON orders (total_cents);
-- migrate:down
DROP TABLE orders;
`;
const V2_BROKEN = V2.replace('REFERENCES customers (id)', 'REFERENCES customer (id)');
const V3 = `-- migrate:up
ALTER TABLE orders ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR', ALGORITHM=COPY;
CREATE INDEX orders_currency_idx ON orders (currency);
-- migrate:down
DROP INDEX orders_currency_idx ON orders;
ALTER TABLE orders DROP COLUMN currency;
`;
const V3_BAD_DOWN = V3.replace('DROP COLUMN currency', 'DROP COLUMN currncy');
const V4 = `-- migrate:up
ALTER TABLE customers ADD UNIQUE INDEX customers_email_key (email);
-- migrate:down
DROP INDEX customers_email_key ON customers;
`;

async function connect(ctx: Ctx): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ uri: ctx.url ?? '' });
  connection.on('error', () => undefined);
  return connection;
}

async function atVersion2(ctx: Ctx): Promise<void> {
  ctx.write('V1__create_customers.sql', V1);
  ctx.write('V2__create_orders.sql', V2);
  await expectExit(ctx, 'up', 0);
}

const failed = (kase: string): Scenario => ({
  name: `mysql-failed-${kase}`,
  engine: 'mysql',
  cases: ['failed', kase],
  async setup(ctx) {
    ctx.write('V1__create_customers.sql', V1);
    ctx.write('V2__create_orders.sql', V2_BROKEN);
    await expectExit(ctx, 'up', 1);
  },
  async check(ctx) {
    await expectClean(ctx, '2');
    expect(await ctx.query("SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'orders_customer_fk'")).toBe('1\n');
  },
});

await runbookSuite('failed-mysql-migration.md', [
  failed('resume'),
  failed('rolled-back'),
  failed('applied'),
  {
    name: 'mysql-in-progress',
    engine: 'mysql',
    cases: ['in-progress'],
    async setup(ctx) {
      await atVersion2(ctx);
      // A session reading orders keeps the ALTER waiting for its metadata lock on the server.
      const blocker = await connect(ctx);
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM orders');
      ctx.write('V3__orders_currency.sql', V3);
      const child = spawn('bash', ['-c', 'exec migrate up --log-level warn'], { cwd: ctx.dir, env: { ...ctx.env, MIGRATOR_EXECUTION_LOCK_TIMEOUT: '60s' }, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('close', resolve));
      const watcher = await connect(ctx);
      try {
        for (let i = 0; ; i += 1) {
          const [rows] = await watcher.query("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE orders ADD COLUMN currency%' AND DB = DATABASE()");
          if ((rows as unknown[]).length > 0) break;
          if (i > 200) throw new Error('the ALTER TABLE never started');
          await sleep(50);
        }
      } finally {
        await watcher.end();
      }
      child.kill('SIGKILL');
      await exited;
      // The dead run's statement finishes on the server a little later, while the operator looks.
      setTimeout(() => { void blocker.query('COMMIT').finally(() => blocker.end()); }, 1500);
      const status = await ctx.status();
      expect(status.migrations.find((m) => m.version === '3')?.state).toBe('in_progress');
    },
    async check(ctx) {
      await expectClean(ctx, '3');
      expect(await ctx.query("SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'orders_currency_idx'")).toBe('1\n');
    },
  },
  {
    name: 'mysql-down-failed',
    engine: 'mysql',
    cases: ['down-failed'],
    async setup(ctx) {
      await atVersion2(ctx);
      ctx.write('V3__orders_currency.sql', V3_BAD_DOWN);
      await expectExit(ctx, 'up', 0);
      await expectExit(ctx, 'down', 1);
    },
    async check(ctx) {
      await expectClean(ctx, '2', 1);
      expect(await ctx.query("SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'currency'")).toBe('0\n');
    },
  },
  {
    name: 'mysql-lock-timeout',
    engine: 'mysql',
    cases: ['lock-timeout'],
    async setup(ctx) {
      await atVersion2(ctx);
      await ctx.query("INSERT INTO customers (email) VALUES ('ada@example.com')");
      const blocker = await connect(ctx);
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM customers FOR UPDATE');
      ctx.write('V4__customers_email.sql', V4);
      const result = await ctx.sh('MIGRATOR_EXECUTION_LOCK_TIMEOUT=1s MIGRATOR_EXECUTION_LOCK_RETRIES=0 migrate up --log-level warn');
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain('Lock wait timeout exceeded');
    },
    async check(ctx) {
      await expectClean(ctx, '4');
    },
  },
]);
