/**
 * runbooks/emergency-rollback.md, run verbatim: the last deployment reverted on PostgreSQL (with a
 * journaled `transaction off` down), MariaDB (journaled reverts) and SQLite, each with its backup,
 * dry run, audit and recovery-point lookup; the same followed by a restore of the step-2 backup; and
 * the guard rails of step 0 (staging refusals, then the revert; production's rollback: disabled and
 * the roll forward) with the runbook's own configuration.
 */
import { expect } from 'vitest';
import { EXAMPLES_DIR, jsonDoc } from '../e2e/helpers.js';
import { expectClean, expectExit } from './scenarios.js';
import { printed, runbook, runbookSuite, type Ctx, type Engine, type Scenario, type StatusDoc } from './harness.js';

const PG: Record<string, string> = {
  'V1__create_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\n-- migrate:down\nDROP TABLE accounts;\n',
  'V2__accounts_name.sql': '-- migrate:up\nALTER TABLE accounts ADD COLUMN name text;\n-- migrate:down\nALTER TABLE accounts DROP COLUMN name;\n',
  'V3__accounts_email_unique.sql': '-- migrate:transaction off\n-- migrate:up\nCREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\nCREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);\n-- migrate:down\nDROP INDEX CONCURRENTLY IF EXISTS accounts_email_key;\nDROP INDEX CONCURRENTLY IF EXISTS accounts_name_idx;\n',
  'V4__accounts_backfill.sql': "-- migrate:up\nALTER TABLE accounts ADD COLUMN plan text;\nUPDATE accounts SET plan = 'free' WHERE plan IS NULL;\n-- migrate:down\nALTER TABLE accounts DROP COLUMN plan;\n",
  'V5__accounts_plan_index.sql': '-- migrate:up\nCREATE INDEX accounts_plan_idx ON accounts (plan);\n-- migrate:down\nDROP INDEX accounts_plan_idx;\n',
};
const MY: Record<string, string> = {
  'V1__create_customers.sql': '-- migrate:up\nCREATE TABLE customers (id BIGINT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(200) NOT NULL);\n-- migrate:down\nDROP TABLE customers;\n',
  'V2__create_orders.sql': '-- migrate:up\nCREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id BIGINT NOT NULL);\n-- migrate:down\nDROP TABLE orders;\n',
  'V3__orders_customer_idx.sql': '-- migrate:up\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n-- migrate:down\nDROP INDEX orders_customer_idx ON orders;\n',
  'V4__customers_email.sql': '-- migrate:up\nALTER TABLE customers ADD COLUMN email VARCHAR(200) NULL;\n-- migrate:down\nALTER TABLE customers DROP COLUMN email;\n',
  'V5__customers_email_idx.sql': '-- migrate:up\nCREATE INDEX customers_email_idx ON customers (email);\n-- migrate:down\nDROP INDEX customers_email_idx ON customers;\n',
};

/** Two deployments: the first up to `first`, the second the rest (the batch the runbook reverts). */
async function deployed(ctx: Ctx): Promise<void> {
  if (ctx.engine === 'sqlite') await ctx.must(`cp ${EXAMPLES_DIR}/*.sql migrations/`);
  else for (const [name, content] of Object.entries(ctx.engine === 'postgres' ? PG : MY)) ctx.write(name, content);
  await expectExit(ctx, `up --target ${FIRST[ctx.engine]}`, 0);
  await expectExit(ctx, 'up', 0);
}

const FIRST: Record<Engine, string> = { postgres: '2', mysql: '3', sqlite: '3' };
const LAST: Record<Engine, string> = { postgres: '5', mysql: '5', sqlite: '6' };

const plain = (engine: Engine): Scenario => ({
  name: `${engine}-revert`,
  engine,
  cases: ['plain'],
  setup: deployed,
  async check(ctx) {
    await expectClean(ctx, FIRST[engine], Number(LAST[engine]) - Number(FIRST[engine]));
    const reverted = await ctx.query("SELECT count(*) FROM migrator_audit WHERE event = 'migration.reverted' AND actor = 'alice: incident 1234'");
    expect(Number(reverted)).toBe(Number(LAST[engine]) - Number(FIRST[engine]));
  },
});

/** The revert of step 4, then the restore of the step-2 backup: back where the incident began. */
const restored = (engine: Engine): Scenario => ({
  name: `${engine}-revert-then-restore`,
  engine,
  cases: ['plain', 'restore'],
  setup: deployed,
  async check(ctx) {
    const reverted = Number(LAST[engine]) - Number(FIRST[engine]);
    expect(printed(ctx)).toContain(`Reverted ${reverted} migrations`);
    expect(printed(ctx)).toContain(`${reverted} pending: run "migrate up" to apply.`);
    await expectClean(ctx, LAST[engine]);
  },
});

/** The configuration of step 0, exactly as the runbook shows it. */
function guardConfig(): string {
  const yaml = runbook('emergency-rollback.md').blocks.find((block) => block.lang === 'yaml');
  if (!yaml) throw new Error('emergency-rollback.md: no yaml block for step 0');
  return yaml.body;
}

async function envStatus(ctx: Ctx, env: string): Promise<StatusDoc> {
  const result = await ctx.sh(`migrate -e ${env} status --json --log-level warn`);
  expect(result.code, result.stderr).toBe(0);
  return jsonDoc<StatusDoc>(result.stdout);
}

await runbookSuite('emergency-rollback.md', [
  plain('sqlite'),
  restored('postgres'),
  restored('mysql'),
  restored('sqlite'),
  {
    name: 'sqlite-guard-rails-and-roll-forward',
    engine: 'sqlite',
    cases: ['guarded'],
    async setup(ctx) {
      ctx.write('./migrator.config.yaml', guardConfig());
      await ctx.must(`cp ${EXAMPLES_DIR}/*.sql migrations/`);
      for (const env of ['staging', 'production']) {
        await expectExit(ctx, `-e ${env} up --target 3 --actor deploy-bot`, 0);
        await expectExit(ctx, `-e ${env} up --actor deploy-bot`, 0);
      }
    },
    async check(ctx) {
      const staging = await envStatus(ctx, 'staging');
      expect(staging.problems).toEqual([]);
      expect(staging.current).toBe('3');
      const production = await envStatus(ctx, 'production');
      expect(production.problems).toEqual([]);
      expect(production.pending).toBe(0);
      expect(production.current).toMatch(/^\d{14}$/);
      expect(await ctx.sh("sqlite3 production.db \"SELECT count(*) FROM sqlite_master WHERE name = 'posts_touch_updated_at'\"")).toMatchObject({ stdout: '0\n' });
      expect(await ctx.sh("sqlite3 staging.db \"SELECT count(*) FROM migrator_audit WHERE event = 'access.denied'\"")).toMatchObject({ stdout: '3\n' });
    },
  },
]);
