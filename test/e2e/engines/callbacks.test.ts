/**
 * SQL callbacks (`beforeMigrate.sql`, `afterEachMigrate.sql`, ...) and configured hooks through
 * `bin/migrate`, on every engine: they run around the migrations, a failing beforeMigrate.sql
 * stops the run with nothing applied, and (SQLite, PostgreSQL) hook commands and modules get the
 * run's context without any password; failing before-hooks stop the run, after-hooks only warn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, logLines } from '../helpers.js';
import { createTarget, engineCases, type EngineCase } from './support.js';

const cases = await engineCases(['sqlite', 'postgres', 'mysql']);
const hookCases = cases.filter((c) => c.engine !== 'mysql');

const LOG_TABLE = 'CREATE TABLE IF NOT EXISTS cb_log (what varchar(40));\n';

function callbackProject(project: Project): void {
  project.write('beforeMigrate.sql', `-- runs once, before the first migration\n${LOG_TABLE}INSERT INTO cb_log (what) VALUES ('before');\n`);
  project.write('afterEachMigrate.sql', "INSERT INTO cb_log (what) VALUES ('after each');\n");
  project.write('afterMigrate.sql', "INSERT INTO cb_log (what) VALUES ('after');\n");
  project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
  project.write('V2__two.sql', 'CREATE TABLE two (id int);\n');
}

function config(project: Project, hooks: Record<string, string>): void {
  const lines = Object.entries(hooks).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`);
  fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), `hooks:\n${lines.join('\n')}\n`);
}

/** The URL with a password in it: PostgreSQL's trust authentication accepts any. */
function withPassword(engineCase: EngineCase, url: string): string {
  if (engineCase.engine !== 'postgres') return url;
  const parsed = new URL(url);
  parsed.password = 'hunter2-SECRET';
  return parsed.toString();
}

describe('SQL callbacks', () => {
  for (const engineCase of cases) {
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: beforeMigrate, afterEachMigrate and afterMigrate run around the migrations, their checksums audited`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      callbackProject(project);
      const target = await createTarget(engineCase, project, `callbacks ${engine}`, { onTestFinished });
      const result = await project.run(['up', '--url', target.url]);
      expect(result.code, result.stderr).toBe(EXIT.ok);
      expect((await target.rows<{ what: string }>('SELECT what FROM cb_log')).map((r) => r.what)).toEqual(['before', 'after each', 'after each', 'after']);
      expect((await target.history()).map((r) => r.version)).toEqual(['1', '2']);
      const [started] = await target.rows<{ detail: string }>("SELECT detail FROM migrator_audit WHERE event = 'run.started'");
      const detail = JSON.parse(String(started?.detail)) as { callbacks: Array<{ event: string; file: string; checksum: string }> };
      expect(detail.callbacks.map((c) => `${c.event} ${c.file}`)).toEqual(['afterEachMigrate migrations/afterEachMigrate.sql', 'afterMigrate migrations/afterMigrate.sql', 'beforeMigrate migrations/beforeMigrate.sql']);
      expect(detail.callbacks.every((c) => /^sha256v1:[0-9a-f]{64}$/.test(c.checksum))).toBe(true);
      // Nothing to do: no callback runs again.
      const again = await project.run(['up', '--url', target.url]);
      expect(again.code, again.stderr).toBe(EXIT.ok);
      expect(await target.rows('SELECT what FROM cb_log')).toHaveLength(4);
    }, 30_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a failing beforeMigrate.sql stops the run with nothing applied (exit 1), audited`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('beforeMigrate.sql', '-- checks\nSELECT missing_column FROM no_such_table;\n');
      project.write('afterMigrateError.sql', `${LOG_TABLE}INSERT INTO cb_log (what) VALUES ('error');\n`);
      project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
      const target = await createTarget(engineCase, project, `callback fails ${engine}`, { onTestFinished });
      const result = await project.run(['up', '--url', target.url]);
      expect(result.code, result.stderr).toBe(EXIT.migrationFailed);
      expect(result.stderr).toMatch(/^error\[E_CALLBACK_FAILED\]: callback beforeMigrate failed at migrations\/beforeMigrate\.sql:2:1/m);
      expect(await target.tableExists('one')).toBe(false);
      expect(await target.history()).toEqual([]);
      expect((await target.auditEvents()).map((r) => r.event)).toEqual(['run.started', 'callback.failed', 'run.finished']);
      expect((await target.rows<{ what: string }>('SELECT what FROM cb_log')).map((r) => r.what)).toEqual(['error']);
    }, 30_000);
  }

  it('sqlite: a parse error in a callback stops the command before anything runs (exit 5, file:line)', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('beforeMigrate.sql', "SELECT 1;\nSELECT 'unterminated;\n");
    project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stderr).toMatch(/error\[E_PARSE\]: migrations\/beforeMigrate\.sql:2:/);
    expect(project.dbExists() && project.withDb((db) => db.prepare("SELECT name FROM sqlite_master WHERE name = 'migrator_history'").get())).toBeFalsy();
  });
});

describe('configured hooks', () => {
  for (const engineCase of hookCases) {
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: commands get the context as MIGRATOR_* variables, never a password`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
      const dump = 'env | grep -E "^(MIGRATOR_|DATABASE_URL)" | sort > "hook-$MIGRATOR_HOOK.env"';
      config(project, { beforeMigrate: dump, beforeEachMigrate: dump, afterMigrate: dump });
      const target = await createTarget(engineCase, project, `hook env ${engine}`, { onTestFinished });
      const url = withPassword(engineCase, target.url);
      const result = await project.run(['up', '--actor', 'release-bot'], { env: { DATABASE_URL: url } });
      expect(result.code, result.stderr).toBe(EXIT.ok);
      const read = (hook: string): Record<string, string> => Object.fromEntries(fs.readFileSync(path.join(project.dir, `hook-${hook}.env`), 'utf8').trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      const before = read('beforeMigrate');
      expect(before).toMatchObject({ MIGRATOR_HOOK: 'beforeMigrate', MIGRATOR_DIRECTION: 'up', MIGRATOR_ACTOR: 'release-bot', MIGRATOR_ENVIRONMENT: 'default', MIGRATOR_TO_VERSION: '1' });
      expect(before['MIGRATOR_RUN_ID']).toMatch(/^[0-9a-f-]{36}$/);
      expect(before['MIGRATOR_TARGET']).toContain(engine);
      expect(before['DATABASE_URL']).toBeUndefined();
      expect(read('beforeEachMigrate')).toMatchObject({ MIGRATOR_MIGRATION_ID: '1', MIGRATOR_MIGRATION_VERSION: '1', MIGRATOR_MIGRATION_FILE: 'migrations/V1__one.sql' });
      expect(read('afterMigrate')['MIGRATOR_RUN_ID']).toBe(before['MIGRATOR_RUN_ID']);
      if (engine === 'postgres') expect(before['MIGRATOR_TARGET']).toContain(':***@');
      for (const hook of ['beforeMigrate', 'beforeEachMigrate', 'afterMigrate']) expect(fs.readFileSync(path.join(project.dir, `hook-${hook}.env`), 'utf8')).not.toContain('hunter2-SECRET');
    }, 30_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a failing before-hook stops the run (exit 1, E_HOOK_FAILED), nothing applied; afterMigrateError gets the error`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
      config(project, { beforeMigrate: 'echo "change freeze in effect" >&2; exit 3', afterMigrateError: 'echo "$MIGRATOR_ERROR_CODE" > error-hook.txt' });
      const target = await createTarget(engineCase, project, `hook fails ${engine}`, { onTestFinished });
      const result = await project.run(['up', '--url', target.url]);
      expect(result.code, result.stderr).toBe(EXIT.migrationFailed);
      expect(result.stderr).toMatch(/^error\[E_HOOK_FAILED\]: hook beforeMigrate \(hooks.beforeMigrate\) failed with exit code 3/m);
      expect(result.stderr).toContain('change freeze in effect');
      expect(await target.tableExists('one')).toBe(false);
      expect(await target.history()).toEqual([]);
      expect(fs.readFileSync(path.join(project.dir, 'error-hook.txt'), 'utf8').trim()).toBe('E_HOOK_FAILED');
    }, 30_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a failing after-hook is a warning: exit 0, migrations applied`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
      config(project, { afterMigrate: 'exit 4' });
      const target = await createTarget(engineCase, project, `after hook ${engine}`, { onTestFinished });
      const result = await project.run(['up', '--url', target.url]);
      expect(result.code, result.stderr).toBe(EXIT.ok);
      expect((await target.history()).map((r) => `${r.version} ${r.state}`)).toEqual(['1 applied']);
      const warning = logLines(result.stderr).find((line) => line.msg.startsWith('hook afterMigrate failed'));
      expect(warning, result.stderr).toMatchObject({ level: 40, code: 'E_HOOK_FAILED' });
    }, 30_000);
  }

  it('sqlite: a JS module hook receives the context object; dry runs run no hook', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
    fs.writeFileSync(path.join(project.dir, 'hooks.mjs'), [
      "import fs from 'node:fs';",
      'const seen = [];',
      'const keep = (ctx) => { const { signal, ...rest } = ctx; seen.push({ ...rest, aborted: signal.aborted }); };',
      'export function beforeMigrate(ctx) { keep(ctx); }',
      'export async function afterEachMigrate(ctx) { keep(ctx); }',
      "export function afterMigrate(ctx) { keep(ctx); fs.writeFileSync('module-hook.json', JSON.stringify(seen)); }",
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'hooks:\n  module: ./hooks.mjs\n');
    const dry = await project.run(['up', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(project.dir, 'module-hook.json'))).toBe(false);
    const result = await project.run(['up', '--actor', 'dev']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const seen = JSON.parse(fs.readFileSync(path.join(project.dir, 'module-hook.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(seen.map((c) => c['hook'])).toEqual(['beforeMigrate', 'afterEachMigrate', 'afterMigrate']);
    expect(seen[0]).toMatchObject({ direction: 'up', actor: 'dev', environment: 'default', fromVersion: null, toVersion: '1', target: 'SQLite sqlite:./migrator.db', aborted: false });
    expect(seen[1]).toMatchObject({ migration: { id: '1', version: '1', description: 'one', file: 'migrations/V1__one.sql' } });
  });

  it('sqlite: a hook module that does not load is a configuration error before anything runs (exit 3)', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__one.sql', 'CREATE TABLE one (id int);\n');
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'hooks:\n  module: ./missing.mjs\n');
    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(result.stderr).toMatch(/error\[E_CONFIG\]: hooks.module: cannot load \.\/missing\.mjs/);
    expect(project.dbExists() && project.withDb((db) => db.prepare("SELECT name FROM sqlite_master WHERE name = 'one'").get())).toBeFalsy();
  });
});
