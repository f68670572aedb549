/**
 * A deploy fleet starting at once on an empty database, on every engine: 16 `migrate up` (8 on
 * SQLite) race for the lock and to create the metadata tables. The lock must serialise them so
 * that each of the 30 migrations runs exactly once: the counter table gets 30 distinct rows, the
 * plain CREATE TABLEs (which fail when run twice) never collide, and history and audit agree.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, Project, jsonDoc, logLines, unexpectedStderr } from '../helpers.js';
import { createTarget, engineCases } from './support.js';

const MIGRATIONS = 30;
const PROCESSES = { postgres: 16, mysql: 16, sqlite: 8 } as const;

/** V1 creates the counter; every Vk inserts k; every third also creates its own table. */
function writeCounterSet(project: Project): void {
  for (let v = 1; v <= MIGRATIONS; v++) {
    const lines = v === 1 ? ['CREATE TABLE counter (n int);'] : [];
    lines.push(`INSERT INTO counter VALUES (${v});`);
    if (v % 3 === 0) lines.push(`CREATE TABLE race_${v} (id int);`);
    project.write(`V${v}__step_${v}.sql`, `${lines.join('\n')}\n`);
  }
}

interface UpDoc {
  readonly ok: boolean;
  readonly completed: ReadonlyArray<{ readonly version: string }>;
}

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);

for (const engineCase of cases) {
  const processes = PROCESSES[engineCase.engine];
  describe.skipIf(engineCase.skip !== undefined)(`${engineCase.engine}: ${processes} \`migrate up\` started together on an empty database`, () => {
    it(`all exit 0 and each of the ${MIGRATIONS} migrations runs exactly once`, async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      writeCounterSet(project);
      const target = await createTarget(engineCase, project, `race ${engineCase.engine}`, { onTestFinished });

      // All spawned before any is awaited.
      const runs = Array.from({ length: processes }, () => project.start(['up', '--json', '--url', target.url, '--lock-timeout', '120s'], { timeoutMs: 150_000 }));
      const results = await Promise.all(runs.map((run) => run.result));

      results.forEach((result, index) => {
        const context = `process ${index + 1} (pid ${String(runs[index]?.child.pid)})\nstderr:\n${result.stderr}`;
        expect(result.code, context).toBe(EXIT.ok);
        expect(result.stderr, context).not.toMatch(/already exists/i);
        expect(result.stderr, context).not.toMatch(/^(?:error|problem)\[/m);
        expect(logLines(result.stderr).filter((line) => line.level >= 50), context).toEqual([]);
        expect(unexpectedStderr(result.stderr), context).toEqual([]);
      });
      // Between them the runs applied every version once (each stdout is one JSON document).
      const applied = results.flatMap((result) => jsonDoc<UpDoc>(result.stdout).completed.map((step) => step.version));
      expect(applied.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: MIGRATIONS }, (_, i) => String(i + 1)));

      const [counted] = await target.rows<{ total: number | string; distinct_n: number | string }>('SELECT count(*) AS total, count(DISTINCT n) AS distinct_n FROM counter');
      expect({ total: Number(counted?.total), distinct: Number(counted?.distinct_n) }).toEqual({ total: MIGRATIONS, distinct: MIGRATIONS });
      for (let v = 3; v <= MIGRATIONS; v += 3) expect(await target.tableExists(`race_${v}`), `table race_${v}`).toBe(true);

      const history = await target.history();
      expect(history).toHaveLength(MIGRATIONS);
      expect(history.filter((row) => row.state === 'applied')).toHaveLength(MIGRATIONS);
      expect(new Set(history.map((row) => row.version)).size).toBe(MIGRATIONS);

      const appliedEvents = (await target.auditEvents()).filter((row) => row.event === 'migration.applied');
      expect(appliedEvents).toHaveLength(MIGRATIONS);
      expect(new Set(appliedEvents.map((row) => row.version)).size).toBe(MIGRATIONS);
    }, 180_000);
  });
}
