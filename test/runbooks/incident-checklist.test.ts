/**
 * runbooks/incident-checklist.md, run verbatim and in order during an incident: a failed journaled
 * migration on PostgreSQL (INVALID index left behind) and on MariaDB, and a deployment that broke the
 * application on SQLite. The checklist must leave the database exactly as it found it (history,
 * audit log, schema snapshot, lock) and keep its evidence in incident/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { EXAMPLES_DIR, jsonDoc } from '../e2e/helpers.js';
import { expectExit } from './scenarios.js';
import { runbookSuite, type Ctx, type Engine, type Scenario } from './harness.js';

const SETUP: Record<Engine, (ctx: Ctx) => Promise<void>> = {
  async postgres(ctx) {
    ctx.write('V1__create_accounts.sql', "-- migrate:up\nCREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\nINSERT INTO accounts (email) VALUES ('ada@example.com'), ('ada@example.com');\n-- migrate:down\nDROP TABLE accounts;\n");
    await expectExit(ctx, 'up', 0);
    ctx.write('V2__accounts_email_unique.sql', '-- migrate:transaction off\n-- migrate:up\nCREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);\n-- migrate:down\nDROP INDEX CONCURRENTLY IF EXISTS accounts_email_key;\n');
    await expectExit(ctx, 'up', 1);
  },
  async mysql(ctx) {
    ctx.write('V1__create_customers.sql', '-- migrate:up\nCREATE TABLE customers (id BIGINT PRIMARY KEY AUTO_INCREMENT);\n-- migrate:down\nDROP TABLE customers;\n');
    ctx.write('V2__create_orders.sql', '-- migrate:up\nCREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id BIGINT NOT NULL);\nALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customer (id);\n-- migrate:down\nDROP TABLE orders;\n');
    await expectExit(ctx, 'up', 1);
  },
  async sqlite(ctx) {
    await ctx.must(`cp ${EXAMPLES_DIR}/*.sql migrations/`);
    await expectExit(ctx, 'up --target 3', 0);
    await expectExit(ctx, 'up', 0);
  },
};

/** Everything the checklist must not change, as one text. */
async function footprint(ctx: Ctx): Promise<string> {
  const parts = [
    await ctx.query('SELECT version, state, checksum, statements_applied FROM migrator_history ORDER BY seq'),
    await ctx.query('SELECT id, event, hash FROM migrator_audit ORDER BY id'),
    // The schema snapshot and the metadata format (the key column's name is reserved on MySQL).
    await ctx.query('SELECT value FROM migrator_meta ORDER BY value'),
  ];
  return parts.join('\n--\n');
}

const scenario = (engine: Engine): Scenario => {
  let before = '';
  return {
    name: `${engine}-incident`,
    engine,
    cases: [],
    async setup(ctx) {
      await SETUP[engine](ctx);
      before = await footprint(ctx);
    },
    async check(ctx) {
      expect(await footprint(ctx)).toBe(before);
      const status = jsonDoc<{ problems: Array<{ code: string }> }>(fs.readFileSync(path.join(ctx.dir, 'incident', 'status.json'), 'utf8'));
      expect(status.problems.map((p) => p.code)).toEqual(engine === 'sqlite' ? [] : ['E_FAILED_MIGRATION']);
      for (const file of ['audit.txt', 'audit.json', 'doctor.txt', 'recovery-point.txt']) {
        expect(fs.statSync(path.join(ctx.dir, 'incident', file)).size, file).toBeGreaterThan(0);
      }
    },
  };
};

await runbookSuite('incident-checklist.md', [scenario('postgres'), scenario('mysql'), scenario('sqlite')]);
