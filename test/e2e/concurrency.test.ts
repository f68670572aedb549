/**
 * Two deploys at once on one database: the lock must serialise them so that every migration runs
 * exactly once, and a run that cannot get the lock in time must say who holds it (exit 7).
 * Sequential on purpose: these tests are about timing.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, Project, audit, history, jsonDoc, logLines, slowStatement, tableExists, withDb } from './helpers.js';

const MIGRATIONS = 20;

/** V1..V20, each creating its own table with a plain CREATE TABLE (fails if run twice); every 4th is slow. */
function writeRaceSet(project: Project): void {
  for (let v = 1; v <= MIGRATIONS; v++) {
    const slow = v % 4 === 0 ? `${slowStatement(200_000)}\n` : '';
    project.write(`V${v}__step_${v}.sql`, `CREATE TABLE t${v} (id INTEGER PRIMARY KEY, v INTEGER);\n${slow}INSERT INTO t${v} (v) VALUES (${v});\n`);
  }
}

interface UpDoc {
  ok: boolean;
  completed: Array<{ version: string }>;
}

describe('two `migrate up` started together on one SQLite file', () => {
  it('both exit 0 and every migration is applied exactly once (3 races)', async ({ onTestFinished }) => {
    for (let round = 1; round <= 3; round++) {
      const project = new Project({ onTestFinished });
      writeRaceSet(project);

      // Both spawned before either is awaited.
      const first = project.start(['up', '--json', '--lock-timeout', '20s']);
      const second = project.start(['up', '--json', '--lock-timeout', '20s']);
      const results = await Promise.all([first.result, second.result]);

      for (const result of results) {
        expect(result.code, `round ${round}: ${result.stderr}`).toBe(EXIT.ok);
        expect(result.stderr).not.toContain('error[');
      }
      // Each stdout is one JSON document, and between them the 20 migrations were applied once.
      const docs = results.map((result) => jsonDoc<UpDoc>(result.stdout));
      expect(docs.every((doc) => doc.ok)).toBe(true);
      const appliedByRuns = docs.flatMap((doc) => doc.completed.map((step) => step.version));
      expect(appliedByRuns.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: MIGRATIONS }, (_, i) => String(i + 1)));

      withDb(project.dbPath, (db) => {
        const rows = history(db);
        expect(rows).toHaveLength(MIGRATIONS);
        expect(rows.every((row) => row.state === 'applied')).toBe(true);
        expect(new Set(rows.map((row) => row.version)).size).toBe(MIGRATIONS);
        for (let v = 1; v <= MIGRATIONS; v++) {
          expect(tableExists(db, `t${v}`), `round ${round}: table t${v}`).toBe(true);
          expect(db.prepare(`SELECT count(*) AS n FROM t${v}`).get(), `round ${round}: rows of t${v}`).toEqual({ n: 1 });
        }
        const applied = audit(db).filter((row) => row.event === 'migration.applied').map((row) => row.version);
        expect(applied).toHaveLength(MIGRATIONS);
        expect(new Set(applied).size).toBe(MIGRATIONS);
        // The audit hash chain did not fork: each row links to the one before it.
        const chain = db.prepare('SELECT prev_hash, hash FROM migrator_audit ORDER BY id').all() as Array<{ prev_hash: string; hash: string }>;
        chain.forEach((row, index) => {
          if (index > 0) expect(row.prev_hash, `round ${round}: audit row ${index + 1}`).toBe(chain[index - 1]?.hash);
        });
      });
    }
  });
});

describe('lock timeout', () => {
  it('exits 7 naming the holder while another run holds the lock; the holder finishes normally', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__slow.sql', ['CREATE TABLE slow (x);', ...Array.from({ length: 10 }, () => slowStatement(1_000_000))].join('\n'));

    let started!: () => void;
    const holding = new Promise<void>((resolve) => { started = resolve; });
    const holder = project.start(['up'], {
      onStderr: (stderr) => {
        if (logLines(stderr).some((line) => line.msg === 'run started')) started();
      },
    });
    await Promise.race([holding, holder.result]);

    const waiter = await project.run(['up', '--lock-timeout', '200ms']);
    expect(waiter.code, waiter.stderr).toBe(EXIT.lockTimeout);
    expect(waiter.stderr).toMatch(/^error\[E_LOCK_TIMEOUT\]: /m);
    expect(waiter.stderr).toContain(`pid ${holder.child.pid}`);
    expect(waiter.stderr).toContain('within 200 ms');

    const done = await holder.result;
    expect(done.code, done.stderr).toBe(EXIT.ok);
    withDb(project.dbPath, (db) => {
      expect(history(db).map((row) => [row.version, row.state])).toEqual([['1', 'applied']]);
    });
  });
});
