/**
 * `--lock-timeout` on the server engines: while one run holds the lock in a long statement, a
 * second run gives up after the timeout (exit 7), not sooner and not much later, and its error
 * names the holder: the holder CLI's pid, and its host or since when. The holder is not disturbed.
 */
import { describe, it } from 'vitest';
import { EXIT, Project, logLines } from '../helpers.js';
import { createTarget, engineCases, type Engine } from './support.js';

const HOLD_SECONDS = 6;
const SLEEP: Record<Exclude<Engine, 'sqlite'>, string> = {
  postgres: `SELECT pg_sleep(${HOLD_SECONDS});`,
  mysql: `DO SLEEP(${HOLD_SECONDS});`,
};

const cases = await engineCases(['postgres', 'mysql']);

// The engines run side by side: each test is mostly waiting, and together they fit in one hold.
describe.concurrent('a run waiting for the lock', () => {
  for (const engineCase of cases) {
    const engine = engineCase.engine as Exclude<Engine, 'sqlite'>;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: exits 7 after --lock-timeout 3s naming the holder's pid; the holder finishes`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__hold.sql', `CREATE TABLE held (x int);\n${SLEEP[engine]}\n`);
      const target = await createTarget(engineCase, project, `lock timeout ${engine}`, { onTestFinished });

      let holding!: () => void;
      const started = new Promise<void>((resolve) => { holding = resolve; });
      const holder = project.start(['up', '--url', target.url], {
        timeoutMs: 30_000,
        onStderr: (stderr) => {
          if (logLines(stderr).some((line) => line.msg === 'run started')) holding();
        },
      });
      await Promise.race([started, holder.result.then((result) => { throw new Error(`the holder ended before it held the lock:\n${result.stderr}`); })]);

      const spawnedAt = performance.now();
      const waiter = await project.run(['up', '--url', target.url, '--lock-timeout', '3s'], { timeoutMs: 15_000 });
      const elapsedMs = performance.now() - spawnedAt;

      expect(waiter.code, waiter.stderr).toBe(EXIT.lockTimeout);
      // 3 s of waiting plus the process's own start: never before the timeout, not long after it.
      expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
      expect(elapsedMs).toBeLessThanOrEqual(4_500);
      const error = /^error\[E_LOCK_TIMEOUT\]: .*$/m.exec(waiter.stderr)?.[0];
      expect(error, waiter.stderr).toBeDefined();
      expect(error).toContain(`pid ${String(holder.child.pid)}`);
      expect(error).toMatch(/\bhost \S+|\bsince \d{4}-\d\d-\d\dT/);
      expect(error).toContain('within 3s');

      const done = await holder.result;
      expect(done.code, done.stderr).toBe(EXIT.ok);
      expect((await target.history()).map((row) => `${row.version} ${row.state}`)).toEqual(['1 applied']);
      expect(await target.tableExists('held')).toBe(true);
      // The waiter changed nothing but the audit trail: its lock.timeout row, chained between the
      // holder's rows (docs/audit.md).
      expect((await target.auditEvents()).map((row) => row.event)).toEqual(['run.started', 'lock.timeout', 'migration.applied', 'run.finished']);
    }, 30_000);
  }
});

