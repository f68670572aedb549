/**
 * runbooks/checksum-drift.md, run verbatim: an applied migration edited in a later commit (the
 * deployed checkout is a git repository), then either restored from git (SQLite, MariaDB) or accepted
 * with `migrate repair` (PostgreSQL). Each ends with validate and status --check at 0, and
 * the file restored (git clean) or the repair audited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { expectClean, expectExit } from './scenarios.js';
import { runbookSuite, type Ctx, type Engine, type Scenario } from './harness.js';

const V1 = '-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);\n-- migrate:down\nDROP TABLE users;\n';
const V2 = '-- migrate:up\nALTER TABLE users ADD COLUMN name VARCHAR(200);\n-- migrate:down\nALTER TABLE users DROP COLUMN name;\n';
const EDITED = V1.replace('-- migrate:up\n', '-- migrate:up\n-- Accounts of the application.\n');

/** A git checkout whose V1 was applied, then edited in a later commit. */
async function drifted(ctx: Ctx): Promise<void> {
  fs.writeFileSync(path.join(ctx.env['HOME'] ?? '', '.gitconfig'), '[user]\n\tname = Oncall\n\temail = oncall@example.com\n[init]\n\tdefaultBranch = main\n');
  ctx.write('V1__create_users.sql', V1);
  ctx.write('V2__users_name.sql', V2);
  await ctx.must('git init -q . && git add migrations && git commit -qm "first migrations"');
  await expectExit(ctx, 'up', 0);
  ctx.write('V1__create_users.sql', EDITED);
  await ctx.must('git commit -qam "users: comment the table"');
  const validate = await expectExit(ctx, 'validate', 6);
  expect(validate.stderr).toContain('E_CHECKSUM_MISMATCH');
}

const scenario = (engine: Engine, kase: 'restore' | 'accept'): Scenario => ({
  name: `${engine}-${kase}`,
  engine,
  cases: [kase],
  setup: drifted,
  async check(ctx) {
    await expectClean(ctx, '2');
    if (kase === 'restore') {
      expect(await ctx.must('git status --porcelain migrations')).toBe('');
      expect(await ctx.must('cat migrations/V1__create_users.sql')).toBe(V1);
    } else {
      expect(await ctx.query("SELECT count(*) FROM migrator_audit WHERE event = 'repair' AND version = '1'")).toBe('1\n');
    }
  },
});

await runbookSuite('checksum-drift.md', [
  scenario('sqlite', 'restore'),
  scenario('postgres', 'accept'),
  scenario('mysql', 'restore'),
]);
