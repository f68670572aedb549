/**
 * runbooks/version-skew.md, run verbatim: release v2 applied a migration, then the application was
 * rolled back to a checkout of v1 that lacks it (E_UNKNOWN_APPLIED: status shows UNKNOWN; up,
 * down, validate exit 6). Then either the schema is left ahead (MariaDB) or the migration is
 * reverted with v2's files (SQLite, PostgreSQL).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { expectClean, expectExit } from './scenarios.js';
import { runbookSuite, type Ctx, type Engine, type Scenario } from './harness.js';

const V1 = '-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);\n-- migrate:down\nDROP TABLE users;\n';
const V2 = '-- migrate:up\nALTER TABLE users ADD COLUMN name VARCHAR(200);\n-- migrate:down\nALTER TABLE users DROP COLUMN name;\n';

/** v1 deployed, v2 deployed (its migration applied), then v1 checked out again. */
async function rolledBack(ctx: Ctx): Promise<void> {
  fs.writeFileSync(path.join(ctx.env['HOME'] ?? '', '.gitconfig'), '[user]\n\tname = Release\n\temail = release@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  ctx.write('V1__create_users.sql', V1);
  await ctx.must('git init -q . && git add migrations && git commit -qm v1 && git tag v1');
  await expectExit(ctx, 'up', 0);
  ctx.write('V2__users_name.sql', V2);
  await ctx.must('git add migrations && git commit -qm v2 && git tag v2');
  await expectExit(ctx, 'up', 0);
  await ctx.must('git checkout -q v1');
  expect(fs.existsSync(path.join(ctx.dir, 'migrations', 'V2__users_name.sql'))).toBe(false);
  const up = await expectExit(ctx, 'up', 6);
  expect(up.stderr).toContain('E_UNKNOWN_APPLIED');
  await expectExit(ctx, 'down', 6);
}

const scenario = (engine: Engine, kase: 'ahead' | 'revert'): Scenario => ({
  name: `${engine}-${kase}`,
  engine,
  cases: [kase],
  setup: rolledBack,
  async check(ctx) {
    if (kase === 'revert') {
      await expectClean(ctx, '1');
      expect(await ctx.query("SELECT state FROM migrator_history WHERE version = '2'")).toBe('rolled_back\n');
    } else {
      const status = await ctx.sh('migrate status --json --dir ../release-v2/migrations --log-level warn');
      expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, current: '2', pending: 0, problems: [] });
    }
  },
});

await runbookSuite('version-skew.md', [
  scenario('sqlite', 'revert'),
  scenario('mysql', 'ahead'),
  scenario('postgres', 'revert'),
]);
