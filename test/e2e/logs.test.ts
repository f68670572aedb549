/**
 * Structured logs (issue 6, item 2): with stderr not a terminal, every line is pino JSON, and each
 * event of a run carries the run id and the environment; migration events carry the migration,
 * its version, the direction and duration_ms; a failure carries the error code. No secret given in
 * the URL, the environment or a password variable appears anywhere in the output.
 */
import { describe, it } from 'vitest';
import { EXIT, Project, logLines } from './helpers.js';
import { createTarget, engineCases } from './engines/support.js';

const CONFIG = 'migrator.config.yaml';
const cases = await engineCases(['sqlite', 'postgres', 'mysql']);

for (const engineCase of cases) {
  describe.skipIf(engineCase.skip !== undefined)(`${engineCase.engine}: log lines of a run${engineCase.skip ? ` (${engineCase.skip})` : ''}`, () => {
    it('carry run_id, environment, version, direction and duration_ms; a failure its code; no secret', async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__a.sql', '-- migrate:up\nCREATE TABLE log_a (id INTEGER);\n-- migrate:down\nDROP TABLE log_a;\n');
      project.write('V2__b.sql', 'CREATE TABLE log_b (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');
      const target = await createTarget(engineCase, project, 'logs', { onTestFinished });
      // A password in the URL where the server ignores it (PostgreSQL trust auth); MariaDB's root
      // has none to give, and SQLite refuses one.
      const secret = 'S3cret-log-pw-91';
      const withPassword = new URL(target.url);
      if (engineCase.engine === 'postgres' && withPassword.password === '') withPassword.password = secret;
      const url = engineCase.engine === 'postgres' ? withPassword.toString() : target.url;
      project.write(`../${CONFIG}`, 'environments:\n  staging:\n    log:\n      level: debug\n');
      const env = { DATABASE_URL: url, MIGRATOR_ENV: 'staging', MIGRATOR_PASSWORD: engineCase.engine === 'postgres' ? secret : undefined };

      const run = await project.run(['up'], { env });
      expect(run.code, run.stderr).toBe(EXIT.migrationFailed);
      const lines = logLines(run.stderr);
      expect(lines.length).toBeGreaterThan(3);
      const started = lines.find((line) => line.msg === 'run started');
      expect(started).toBeDefined();
      const runId = started?.['run_id'];
      expect(runId).toMatch(/^[0-9a-f-]{36}$/);
      // Every event line of the run, whatever the event, names the run and the environment.
      for (const line of lines.filter((l) => ['run started', 'migration started', 'migration applied', 'migration failed', 'run finished', 'statement executed', 'lock acquired'].includes(String(l.msg)))) {
        expect(line, JSON.stringify(line)).toMatchObject({ run_id: runId, environment: 'staging' });
      }
      const applied = lines.find((line) => line.msg === 'migration applied');
      expect(applied).toMatchObject({ migration: '1', version: '1', direction: 'up' });
      expect(typeof applied?.['duration_ms']).toBe('number');
      const failed = lines.find((line) => line.msg === 'migration failed');
      expect(failed).toMatchObject({ migration: '2', version: '2', direction: 'up', code: 'E_MIGRATION_FAILED' });
      expect(typeof failed?.['duration_ms']).toBe('number');
      const finished = lines.find((line) => line.msg === 'run finished');
      expect(finished).toMatchObject({ outcome: 'failure', run_id: runId });
      expect(run.stdout + run.stderr).not.toContain(secret);
    });
  });
}
