/**
 * The server ends the CLI's connection in the middle of a migration (an operator's
 * pg_terminate_backend / KILL, a failover). migrator never reconnects behind the user's back: the
 * run fails (exit 1) saying the connection was lost, status tells what was applied, and the
 * documented way on converges: a plain `up` on PostgreSQL (the transaction died with the session),
 * the command the error names on MySQL (DDL already done stays done, journaled in_progress).
 */
import { describe, it } from 'vitest';
import { EXIT, Project } from '../helpers.js';
import { createTarget, engineCases, openKiller, sleep, statusDoc, type Engine } from './support.js';

/** The slow statement of V2, also the marker the killer looks for in the server's process list. */
const SLOW: Record<Exclude<Engine, 'sqlite'>, string> = {
  postgres: 'SELECT pg_sleep(2)',
  mysql: 'SELECT SLEEP(2)',
};

const cases = await engineCases(['postgres', 'mysql']);

describe.concurrent('the connection killed by the server during a slow statement', () => {
  for (const engineCase of cases) {
    const engine = engineCase.engine as Exclude<Engine, 'sqlite'>;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: exit 1 naming the connection; status tells the truth; recovery converges`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__first.sql', 'CREATE TABLE first_table (x int);\n');
      project.write('V2__slow.sql', `CREATE TABLE before_kill (x int);\n${SLOW[engine]};\nCREATE TABLE after_kill (x int);\n`);
      const target = await createTarget(engineCase, project, `connection kill ${engine}`, { onTestFinished });
      const killer = await openKiller(target);
      onTestFinished(() => killer.close());

      const run = project.start(['up', '--url', target.url]);
      let finished = false;
      const stop = (): void => { finished = true; };
      run.result.then(stop, stop);
      let killed = 0;
      while (killed === 0 && !finished) {
        killed = await killer.killSessionsRunning(SLOW[engine]);
        if (killed === 0) await sleep(50);
      }
      const result = await run.result;
      expect(killed, `the slow statement was never seen running:\n${result.stderr}`).toBe(1);

      expect(result.code, result.stderr).toBe(EXIT.migrationFailed);
      const error = /^error\[E_[A-Z_]+\]: .*$/m.exec(result.stderr)?.[0];
      expect(error, result.stderr).toMatch(/connection/i);
      expect(error).toMatch(/\bversion 2\b/);

      const status = statusDoc(await project.run(['status', '--json', '--url', target.url]));
      const states = Object.fromEntries(status.migrations.map((m) => [m.version, m.state]));
      expect(await target.tableExists('first_table')).toBe(true);
      expect(await target.tableExists('after_kill')).toBe(false);
      if (engine === 'postgres') {
        // The transaction died with the session: nothing of V2 is left, and nothing needs repair.
        expect(states).toEqual({ 1: 'applied', 2: 'pending' });
        expect(status.problems).toEqual([]);
        expect(await target.tableExists('before_kill')).toBe(false);
      } else {
        // Statement 1 (DDL) was committed and journaled before the connection died.
        expect(states).toEqual({ 1: 'applied', 2: 'in_progress' });
        expect(status.problems.map((p) => p.code)).toEqual(['E_FAILED_MIGRATION']);
        expect(status.problems[0]?.details).toMatchObject({ statementsApplied: 1, statementsTotal: 3 });
        expect(await target.tableExists('before_kill')).toBe(true);
      }

      // The dead session's lock went with it: the next run does not wait (it would exit 7).
      const up = await project.run(['up', '--url', target.url, '--lock-timeout', '5s']);
      let converged = up;
      if (engine === 'postgres') {
        expect(up.code, up.stderr).toBe(EXIT.ok);
      } else {
        expect(up.code, up.stderr).toBe(EXIT.stateDisagrees);
        expect(up.stderr).toMatch(/^error\[E_FAILED_MIGRATION\]: .*\bversion 2\b/m);
        expect(up.stderr).toContain('migrate up --resume');
        converged = await project.run(['up', '--resume', '--url', target.url, '--lock-timeout', '5s']);
        expect(converged.code, converged.stderr).toBe(EXIT.ok);
      }
      expect(converged.stderr).not.toMatch(/already exists/i);
      expect((await target.history()).map((row) => `${row.version} ${row.state}`)).toEqual(['1 applied', '2 applied']);
      for (const table of ['first_table', 'before_kill', 'after_kill']) expect(await target.tableExists(table), table).toBe(true);
      expect(statusDoc(await project.run(['status', '--json', '--url', target.url])).ok).toBe(true);
    }, 30_000);
  }
});
