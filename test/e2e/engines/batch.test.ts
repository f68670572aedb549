/**
 * `ctx.batch` through the built CLI on every engine (docs/batches.md). The acceptance scenario: a
 * 1,000,000-row backfill in batches of 10,000 is SIGKILLed halfway, with batch 51 applied but not
 * committed; afterwards exactly the 50 committed batches are there with their checkpoint, plain
 * `up` refuses and names `up --resume`, and `up --resume` finishes the job: every row processed
 * exactly once (a counter column each batch increments), the checkpoint cleared, the audit row
 * counting the rows. Then Ctrl-C between batches, a failing batch, and the refusals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, Project } from '../helpers.js';
import { createTarget, engineCases, type Target } from './support.js';

const ROWS = 1_000_000;
const SIZE = 10_000;
const HANG_AT = 51;

/** 1,000,000 rows from a cross join of digits: the same SQL on every engine, no recursion limit. */
const SEED = `CREATE TABLE digits (d INT NOT NULL);
INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);
INSERT INTO items (id) SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d
  FROM digits a, digits b, digits c, digits e, digits f, digits g ORDER BY 1;
`;

/**
 * The backfill. Batch HANG_AT applies its UPDATE, then (while the file `hang` exists) says so in
 * `hanging` and waits inside its open transaction: for the SIGKILL, or with `interruptible` for
 * Ctrl-C, after which it returns and the batch commits. A `fail` file makes batch HANG_AT throw.
 */
const BACKFILL = `import fs from 'node:fs';
import type { MigrationContext } from 'migrator';

export const transaction = false;

export async function up(ctx: MigrationContext): Promise<void> {
  await ctx.batch({
    name: 'count_rows',
    table: 'items',
    key: 'id',
    size: ${SIZE},
    async apply(batch) {
      await ctx.sql\`UPDATE items SET n = n + 1 WHERE id BETWEEN \${batch.first} AND \${batch.last}\`;
      if (batch.number !== ${HANG_AT}) return;
      if (fs.existsSync('fail')) throw new Error('batch ${HANG_AT} refused');
      if (!fs.existsSync('hang')) return;
      fs.writeFileSync('hanging', '');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 120_000);
        if (fs.existsSync('interruptible')) ctx.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); });
      });
    },
  });
}

export async function verify(ctx: MigrationContext): Promise<boolean> {
  const { rows } = await ctx.sql\`SELECT COUNT(*) AS wrong FROM items WHERE n <> 1\`;
  return Number(rows[0]?.['wrong']) === 0;
}
`;

interface Counts {
  readonly once: number;
  readonly other: number;
}

async function counts(target: Target): Promise<Counts> {
  const [row] = await target.rows<{ once: number | string; other: number | string }>(
    'SELECT SUM(CASE WHEN n = 1 THEN 1 ELSE 0 END) AS once, SUM(CASE WHEN n NOT IN (0, 1) THEN 1 ELSE 0 END) AS other FROM items',
  );
  return { once: Number(row?.once), other: Number(row?.other) };
}

interface Checkpoint {
  readonly name: string;
  readonly rows_done: number | string;
  readonly batches: number | string;
  readonly finished_at: string | null;
}

async function checkpoints(target: Target): Promise<Array<{ name: string; rows: number; batches: number; finished: boolean }>> {
  if (!(await target.tableExists('migrator_progress'))) return [];
  const rows = await target.rows<Checkpoint>('SELECT name, rows_done, batches, finished_at FROM migrator_progress ORDER BY name');
  return rows.map((r) => ({ name: r.name, rows: Number(r.rows_done), batches: Number(r.batches), finished: r.finished_at !== null }));
}

/** Creates an empty marker file in the project directory (the CLI's cwd), where the backfill looks. */
function touch(project: Project, name: string): void {
  fs.writeFileSync(path.join(project.dir, name), '');
}

async function waitForFile(file: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  for (let waited = 0; !fs.existsSync(file); waited += 20) {
    if (done) throw new Error(`the run ended before ${path.basename(file)} appeared`);
    if (waited > 90_000) throw new Error(`${path.basename(file)} did not appear within 90 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function seeded(engineCase: Parameters<typeof createTarget>[0], label: string, cleanup: Parameters<typeof createTarget>[3]): Promise<{ project: Project; target: Target; url: string[] }> {
  const project = new Project(cleanup);
  project.write('V1__items.sql', SEED);
  project.write('V2__count_rows.ts', BACKFILL);
  const target = await createTarget(engineCase, project, label, cleanup);
  const url = ['--url', target.url];
  const seed = await project.run(['up', '--target', '1', ...url]);
  expect(seed.code, seed.stderr).toBe(EXIT.ok);
  return { project, target, url };
}

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);

for (const engineCase of cases) {
  const { engine } = engineCase;
  describe.skipIf(engineCase.skip !== undefined)(`${engine}: ctx.batch`, () => {
    it('survives a SIGKILL halfway: up --resume processes every one of 1,000,000 rows exactly once and clears the checkpoint', { timeout: 180_000 }, async ({ onTestFinished }) => {
      const { project, target, url } = await seeded(engineCase, `batch kill ${engine}`, { onTestFinished });
      touch(project, 'hang');
      const running = project.start(['up', ...url], { timeoutMs: 150_000 });
      await waitForFile(path.join(project.dir, 'hanging'), running.result);
      running.child.kill('SIGKILL');
      const killed = await running.result;
      expect(killed.signal).toBe('SIGKILL');

      // Batch 51 had applied its UPDATE inside its transaction: it rolled back with its checkpoint.
      expect(await counts(target)).toEqual({ once: 50 * SIZE, other: 0 });
      expect(await checkpoints(target)).toEqual([{ name: 'count_rows', rows: 50 * SIZE, batches: 50, finished: false }]);
      expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'in_progress' });

      const refused = await project.run(['up', ...url]);
      expect(refused.code, refused.stderr).toBe(EXIT.stateDisagrees);
      expect(refused.stderr).toContain('migrate up --resume');

      fs.rmSync(path.join(project.dir, 'hang'));
      const resumed = await project.run(['up', '--resume', ...url]);
      expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
      expect(resumed.stdout).toContain('count_rows: 1,000,000 rows of items, resuming after 500,000 done');
      expect(resumed.stdout).toContain('count_rows: done, 1,000,000 rows in 100 batches');
      expect(resumed.stderr).toMatch(/"batch_job":"count_rows".*"resumed_from":500000.*"msg":"batch job resumed from its checkpoint"/);

      expect(await counts(target)).toEqual({ once: ROWS, other: 0 });
      expect(await checkpoints(target)).toEqual([]);
      expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'applied' });
      const [applied] = await target.rows<{ detail: string }>("SELECT detail FROM migrator_audit WHERE event = 'migration.applied' AND version = '2'");
      expect(JSON.parse(applied?.detail ?? '{}')).toMatchObject({
        resumed: true,
        rowsProcessed: ROWS,
        batches: [{ name: 'count_rows', table: 'items', rowsProcessed: ROWS, batches: 100, resumedFrom: 50 * SIZE }],
      });
    });

    it('fails on a batch that throws, keeping the batches before it, and resumes from there', { timeout: 120_000 }, async ({ onTestFinished }) => {
      const { project, target, url } = await seeded(engineCase, `batch fail ${engine}`, { onTestFinished });
      touch(project, 'fail');
      const failed = await project.run(['up', ...url]);
      expect(failed.code, failed.stderr).toBe(EXIT.migrationFailed);
      expect(failed.stderr).toMatch(/error\[E_MIGRATION_FAILED\]: version 2 \(count rows\) failed in up\(ctx\) of migrations\/V2__count_rows\.ts:\d+ in ctx\.batch "count_rows", batch 51 \(keys 500001 to 510000, rolled back with its checkpoint\): batch 51 refused/);
      expect(failed.stderr).toContain('migrate up --resume');
      expect(await counts(target)).toEqual({ once: 50 * SIZE, other: 0 });
      expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'failed' });

      fs.rmSync(path.join(project.dir, 'fail'));
      const plan = await project.run(['up', '--resume', '--dry-run', ...url]);
      expect(plan.code, plan.stderr).toBe(EXIT.ok);
      expect(plan.stdout).toContain('-- resume 2 (count rows): migrations/V2__count_rows.ts [outside a transaction, journaled]\n-- (runs up(ctx) again: its ctx.batch jobs continue after their last committed batch');
      const resumed = await project.run(['up', '--resume', ...url]);
      expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
      expect(await counts(target)).toEqual({ once: ROWS, other: 0 });
      expect(await checkpoints(target)).toEqual([]);
    });

    it('pages by a text key through the rows `where` chooses, pausing between batches, and returns what it did', async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const values = Array.from({ length: 40 }, (_, i) => `('k${String(i).padStart(3, '0')}', '${i % 2 === 0 ? 'a' : 'b'}', 0)`).join(', ');
      project.write('V1__codes.sql', `CREATE TABLE codes (code VARCHAR(10) NOT NULL PRIMARY KEY, kind VARCHAR(1) NOT NULL, n INT NOT NULL);\nINSERT INTO codes (code, kind, n) VALUES ${values};\n`);
      project.write('V2__mark.mjs', `export const transaction = false;
export async function up(ctx) {
  const seen = [];
  const result = await ctx.batch({
    name: 'mark_a', table: 'codes', key: 'code', size: 7, where: "kind = 'a'", pauseMs: 5,
    async apply(batch) {
      seen.push(\`\${batch.number}:\${batch.first}-\${batch.last}:\${batch.rows}\`);
      await ctx.sql\`UPDATE codes SET n = n + 1 WHERE kind = 'a' AND code BETWEEN \${batch.first} AND \${batch.last}\`;
    },
  });
  ctx.log.info('marked', { seen: seen.join(' '), rows: result.rows, batches: result.batches, resumedFrom: result.resumedFrom });
}
`);
      const target = await createTarget(engineCase, project, `batch where ${engine}`, { onTestFinished });
      const up = await project.run(['up', '--url', target.url]);
      expect(up.code, up.stderr).toBe(EXIT.ok);
      // 20 rows of kind a (k000, k002, ... k038), 7 per batch: 7 + 7 + 6.
      expect(up.stderr).toContain('"seen":"1:k000-k012:7 2:k014-k026:7 3:k028-k038:6","rows":20,"batches":3,"resumedFrom":0');
      const marked = await target.rows<{ kind: string; n: number | string; count: number | string }>('SELECT kind, n, COUNT(*) AS count FROM codes GROUP BY kind, n ORDER BY kind');
      expect(marked.map((r) => [r.kind, Number(r.n), Number(r.count)])).toEqual([['a', 1, 20], ['b', 0, 20]]);
    });
  });
}

describe('sqlite: ctx.batch, more', () => {
  const sqlite = cases.find((c) => c.engine === 'sqlite');
  if (sqlite === undefined) throw new Error('SQLite is always available');

  it('stops on Ctrl-C after the batch in flight commits, and resumes after it', { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { project, target, url } = await seeded(sqlite, 'batch sigint', { onTestFinished });
    touch(project, 'hang');
    touch(project, 'interruptible');
    const running = project.start(['up', ...url], { timeoutMs: 50_000 });
    await waitForFile(path.join(project.dir, 'hanging'), running.result);
    running.child.kill('SIGINT');
    const stopped = await running.result;
    expect(stopped.code, stopped.stderr).toBe(EXIT.interrupted);
    // The batch in flight finished its work: it committed with its checkpoint, and no other began.
    expect(await counts(target)).toEqual({ once: HANG_AT * SIZE, other: 0 });
    expect(await checkpoints(target)).toEqual([{ name: 'count_rows', rows: HANG_AT * SIZE, batches: HANG_AT, finished: false }]);

    fs.rmSync(path.join(project.dir, 'hang'));
    const resumed = await project.run(['up', '--resume', ...url]);
    expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
    expect(await counts(target)).toEqual({ once: ROWS, other: 0 });
    expect(await checkpoints(target)).toEqual([]);
  });

  it('refuses ctx.batch in a migration that runs in one transaction, naming the fix; nothing is applied', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__items.sql', 'CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);\nINSERT INTO items (id) VALUES (1), (2), (3);\n');
    project.write('V2__count_rows.ts', BACKFILL.replace('export const transaction = false;\n', ''));
    const target = await createTarget(sqlite, project, 'batch refused', { onTestFinished });
    const up = await project.run(['up', '--url', target.url]);
    expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
    expect(up.stderr).toContain('ctx.batch "count_rows" commits each batch with its checkpoint, so the migration must run outside one transaction: add `export const transaction = false` to migrations/V2__count_rows.ts');
    expect((await target.history()).map((row) => row.version)).toEqual(['1']);
    expect(await counts(target)).toEqual({ once: 0, other: 0 });
  });

  it('refuses a second job while one runs, and any ctx call from outside the running job', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__items.sql', 'CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);\nINSERT INTO items (id) VALUES (1), (2), (3), (4), (5), (6);\n');
    const job = (name: string) => `ctx.batch({ name: '${name}', table: 'items', key: 'id', size: 2, apply: async (b) => { await ctx.sql\`UPDATE items SET n = n + 1 WHERE id BETWEEN \${b.first} AND \${b.last}\`; await new Promise((r) => setTimeout(r, 50)); } })`;
    project.write('V2__two.mjs', `export const transaction = false;\nexport async function up(ctx) {\n  await Promise.all([${job('a')}, ${job('b')}]);\n}\n`);
    project.write('V3__beside.mjs', `export const transaction = false;\nexport async function up(ctx) {\n  await Promise.all([${job('c')}, (async () => { await new Promise((r) => setTimeout(r, 20)); await ctx.sql\`UPDATE items SET n = n + 100\`; })()]);\n}\n`);
    const target = await createTarget(sqlite, project, 'batch concurrent', { onTestFinished });
    const two = await project.run(['up', '--target', '2', '--url', target.url]);
    expect(two.code, two.stderr).toBe(EXIT.migrationFailed);
    expect(two.stderr).toContain('ctx.batch "b" started while ctx.batch "a" runs');
    // Whatever job a committed, it committed with its checkpoint.
    const [a] = await checkpoints(target);
    expect((await counts(target)).once).toBe(a?.rows);

    await project.run(['repair', '--version', '2', '--as', 'applied', '--url', target.url]);
    const beside = await project.run(['up', '--url', target.url]);
    expect(beside.code, beside.stderr).toBe(EXIT.migrationFailed);
    expect(beside.stderr).toContain('a ctx call was made while ctx.batch "c" runs, from outside its apply');
    const [{ big } = { big: -1 }] = await target.rows<{ big: number }>('SELECT COUNT(*) AS big FROM items WHERE n >= 100');
    expect(big).toBe(0);
  });

  it('fails a migration whose function returned without awaiting its job; the job stops before its next batch', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__items.sql', 'CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);\nINSERT INTO items (id) VALUES (1), (2), (3), (4), (5), (6);\n');
    project.write('V2__forgot.mjs', `export const transaction = false;
export async function up(ctx) {
  void ctx.batch({ name: 'forgot', table: 'items', key: 'id', size: 2, apply: async (b) => { await ctx.sql\`UPDATE items SET n = n + 1 WHERE id BETWEEN \${b.first} AND \${b.last}\`; await new Promise((r) => setTimeout(r, 30)); } });
}
`);
    const target = await createTarget(sqlite, project, 'batch not awaited', { onTestFinished });
    const up = await project.run(['up', '--url', target.url]);
    expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
    expect(up.stderr).toContain('ctx.batch "forgot" was still running when the migration function returned or failed, so it stopped before batch');
    expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'failed' });
    const [job] = await checkpoints(target);
    expect((await counts(target)).once).toBe(job?.rows);
  });

  it('refuses to resume a job whose table or key changed, and resumes once they are put back', async ({ onTestFinished }) => {
    const { project, target, url } = await seeded(sqlite, 'batch changed key', { onTestFinished });
    touch(project, 'fail');
    expect((await project.run(['up', ...url])).code).toBe(EXIT.migrationFailed);
    fs.rmSync(path.join(project.dir, 'fail'));
    const original = project.read('V2__count_rows.ts');
    project.write('V2__count_rows.ts', original.replace("key: 'id'", "key: 'n'"));
    const changed = await project.run(['up', '--resume', ...url]);
    expect(changed.code, changed.stderr).toBe(EXIT.migrationFailed);
    expect(changed.stderr).toContain('ctx.batch "count_rows": its checkpoint was made paging items by id, but the job now pages items by n');
    expect(await counts(target)).toEqual({ once: 50 * SIZE, other: 0 });
    project.write('V2__count_rows.ts', original);
    const resumed = await project.run(['up', '--resume', ...url]);
    expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
    expect(await counts(target)).toEqual({ once: ROWS, other: 0 });
  });

  it('refuses to resume a scripted migration that failed before starting any job: it has no checkpoint', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__items.sql', 'CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);\n');
    project.write('V2__early.mjs', `export const transaction = false;\nexport async function up(ctx) {\n  await ctx.sql\`UPDATE itemz SET n = 1\`;\n}\n`);
    const target = await createTarget(sqlite, project, 'batch no checkpoint', { onTestFinished });
    expect((await project.run(['up', '--url', target.url])).code).toBe(EXIT.migrationFailed);
    const resumed = await project.run(['up', '--resume', '--url', target.url]);
    expect(resumed.code, resumed.stderr).toBe(EXIT.stateDisagrees);
    expect(resumed.stderr).toContain('error[E_FAILED_MIGRATION]: cannot resume version 2: migrations/V2__early.mjs is a scripted migration without a ctx.batch checkpoint');
    expect(resumed.stderr).toContain('migrate repair --version 2 --as rolled-back');
  });

  it('refuses bad options with the option named, before any batch', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__items.sql', 'CREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0);\nINSERT INTO items (id) VALUES (1), (2), (3);\n');
    project.write('V2__bad.ts', `export const transaction = false;
export async function up(ctx) {
  await ctx.batch({ name: 'x', table: 'items; DROP TABLE items', key: 'id', apply() {} });
}
`);
    const target = await createTarget(sqlite, project, 'batch bad options', { onTestFinished });
    const up = await project.run(['up', '--url', target.url]);
    expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
    expect(up.stderr).toMatch(/ctx\.batch "x": table "items; DROP TABLE items" is not an identifier/);
    expect(await target.tableExists('items')).toBe(true);
  });
});
