/**
 * runbooks/failed-migration.md, run verbatim: a transactional failure on PostgreSQL (nothing to
 * undo: fix the file, up), and a journaled failure on PostgreSQL (INVALID index, resume) and on
 * SQLite (resume, undo + repair --as rolled-back, finish + repair --as applied). Each scenario ends
 * with a clean `status`.
 */
import { expect } from 'vitest';
import { EXAMPLES_DIR } from '../e2e/helpers.js';
import { expectClean, expectExit } from './scenarios.js';
import { runbookSuite, type Ctx, type Scenario } from './harness.js';

const V1 = `-- migrate:up
CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);
INSERT INTO accounts (email) VALUES ('ada@example.com'), ('grace@example.com'), ('ada@example.com');
-- migrate:down
DROP TABLE accounts;
`;
const V2_BROKEN = `-- migrate:up
ALTER TABLE accounts ADD COLUMN name text;
UPDATE acounts SET name = split_part(email, '@', 1) WHERE name IS NULL;
-- migrate:down
ALTER TABLE accounts DROP COLUMN name;
`;
const V2 = V2_BROKEN.replace('UPDATE acounts', 'UPDATE accounts');
const V3_BROKEN = `-- migrate:transaction off
-- migrate:up
CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);
CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);
-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS accounts_email_key;
DROP INDEX CONCURRENTLY IF EXISTS accounts_name_idx;
`;
const V7_BROKEN = `-- migrate:transaction off
-- migrate:up
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO tags (name) VALUES ('sqlite');
INSERT INTO tags (name) VALUES ('sqlite');
CREATE INDEX tags_name_idx ON tags (name);
-- migrate:down
DROP TABLE tags;
`;

async function sqliteFailedV7(ctx: Ctx): Promise<void> {
  await ctx.must(`cp ${EXAMPLES_DIR}/*.sql migrations/ && migrate up --log-level warn`);
  ctx.write('V7__tags.sql', V7_BROKEN);
  await expectExit(ctx, 'up', 1);
  expect(await ctx.query("SELECT state, statements_applied FROM migrator_history WHERE version = '7'")).toBe('failed\t2\n');
}

const sqliteCase = (kase: string): Scenario => ({
  name: `sqlite-journaled-${kase}`,
  engine: 'sqlite',
  cases: ['journaled', kase],
  setup: sqliteFailedV7,
  async check(ctx) {
    await expectClean(ctx, '7');
    expect(await ctx.query("SELECT count(*) FROM tags")).toBe('1\n');
    expect(await ctx.query("SELECT count(*) FROM sqlite_master WHERE name = 'tags_name_idx'")).toBe('1\n');
  },
});

await runbookSuite('failed-migration.md', [
  {
    name: 'postgres-transactional',
    engine: 'postgres',
    cases: ['transactional'],
    async setup(ctx) {
      ctx.write('V1__create_accounts.sql', V1);
      ctx.write('V2__accounts_name.sql', V2_BROKEN);
      await expectExit(ctx, 'up', 1);
    },
    async check(ctx) {
      await expectClean(ctx, '2');
      expect(await ctx.query("SELECT count(*) FROM accounts WHERE name = 'ada'")).toBe('2\n');
    },
  },
  {
    name: 'postgres-journaled-resume',
    engine: 'postgres',
    cases: ['journaled', 'resume'],
    async setup(ctx) {
      ctx.write('V1__create_accounts.sql', V1);
      ctx.write('V2__accounts_name.sql', V2);
      await expectExit(ctx, 'up', 0);
      ctx.write('V3__accounts_email_unique.sql', V3_BROKEN);
      await expectExit(ctx, 'up', 1);
    },
    async check(ctx) {
      await expectClean(ctx, '3');
      expect(await ctx.query("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'accounts_email_key' AND i.indisvalid")).toBe('1\n');
      expect(await ctx.query('SELECT count(*) FROM accounts')).toBe('2\n');
    },
  },
  sqliteCase('resume'),
  sqliteCase('rolled-back'),
  sqliteCase('applied'),
]);
