/**
 * Ctrl-C and `kill` during a run: the first SIGINT/SIGTERM stops at the next statement boundary,
 * the in-flight migration is rolled back, the lock is released and the exit code says why
 * (130 / 143). better-sqlite3 is synchronous, so the signal is seen when the running statement
 * returns. Sequential on purpose: these tests are about timing.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, Project, history, logLines, slowStatement, tableExists, withDb } from './helpers.js';

/** V1 fast; V2 several slow statements after creating a table; V3 fast. */
function writeSlowSet(project: Project): void {
  project.write('V1__fast.sql', 'CREATE TABLE fast (x);\n');
  project.write('V2__slow.sql', ['CREATE TABLE slow_first (x);', ...Array.from({ length: 8 }, () => slowStatement(1_000_000)), 'CREATE TABLE slow_last (x);', ''].join('\n'));
  project.write('V3__after.sql', 'CREATE TABLE after_slow (x);\n');
}

for (const [signal, code] of [['SIGINT', EXIT.interrupted], ['SIGTERM', EXIT.terminated]] as const) {
  describe(`${signal} during a run`, () => {
    it(`stops at a statement boundary: exit ${code}, in-flight migration rolled back, lock released`, async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      writeSlowSet(project);

      let sentAt: number | undefined;
      const running = project.start(['up'], {
        onStderr: (stderr, child) => {
          // Once V1 is committed, V2 is running: send the signal while its slow statements execute.
          if (sentAt === undefined && logLines(stderr).some((line) => line.msg === 'migration applied' && line['version'] === '1')) {
            sentAt = Date.now();
            setTimeout(() => child.kill(signal), 150);
          }
        },
      });
      const result = await running.result;
      expect(sentAt, 'V1 was never reported applied').toBeDefined();

      expect(result.signal, 'the CLI handles the signal itself').toBeNull();
      expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code);
      expect(result.stderr).toContain('E_INTERRUPTED');
      withDb(project.dbPath, (db) => {
        expect(history(db).map((row) => [row.version, row.state])).toEqual([['1', 'applied']]);
        expect(tableExists(db, 'fast')).toBe(true);
        expect(tableExists(db, 'slow_first')).toBe(false);
        expect(tableExists(db, 'slow_last')).toBe(false);
        expect(tableExists(db, 'after_slow')).toBe(false);
      });

      // The lock was released on the way out: the next run gets it at once and finishes the job.
      const next = await project.run(['up', '--lock-timeout', '2s']);
      expect(next.code, next.stderr).toBe(EXIT.ok);
      expect(next.stderr).not.toContain('E_LOCK_TIMEOUT');
      withDb(project.dbPath, (db) => {
        expect(history(db).map((row) => [row.version, row.state])).toEqual([['1', 'applied'], ['2', 'applied'], ['3', 'applied']]);
      });
    });
  });
}
