/**
 * The backup hook and the recovery point, as an operator meets them. In a protected environment
 * `up` and `down` run `backup.command` first (with the run's context in MIGRATOR_* variables), and
 * a failure or a timeout stops the run before anything changes (exit 9, E_BACKUP_FAILED, audited
 * where the metadata exists). Every real run records where to return to: a WAL LSN on PostgreSQL,
 * a binlog position (or why there is none) on MySQL, a `.bak` copy of a protected SQLite database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { createTarget, engineCases, type EngineCase, type Target } from './engines/support.js';
import { EXIT, Project, STACK_FRAME, appliedVersions, dbState, jsonDoc, withDb, type CliResult } from './helpers.js';

const cases = await engineCases(['postgres', 'mysql']);

const V1 = '-- migrate:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE a;\n';
const V2 = '-- migrate:up\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE b;\n';

/** A hook that records the MIGRATOR_* variables it got and a copy of the database it saw, then names its backup. */
const RECORDING_HOOK = "env | grep '^MIGRATOR_' > hook-env.txt; if [ -e migrator.db ]; then cp migrator.db hook-saw.db; fi; echo 'dumping...'; echo backup-id-42";

interface ConfigOptions {
  readonly command?: string;
  readonly timeout?: string;
}

/**
 * `prod` is protected, `dev` is not; `backup.command` (a JSON string is a valid YAML scalar) is set at
 * the top level, so both environments have it and only protection decides whether it runs.
 */
function writeConfig(project: Project, options: ConfigOptions): void {
  const backup = options.command === undefined && options.timeout === undefined
    ? ''
    : `backup:\n${options.command === undefined ? '' : `  command: ${JSON.stringify(options.command)}\n`}${options.timeout === undefined ? '' : `  timeout: ${options.timeout}\n`}`;
  fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), `${backup}environments:\n  prod:\n    protected: true\n  dev: {}\n`);
}

function setUp(onTestFinished: (fn: () => void) => void, options: ConfigOptions): Project {
  const project = new Project({ onTestFinished });
  project.write('V1__a.sql', V1);
  project.write('V2__b.sql', V2);
  writeConfig(project, options);
  return project;
}

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

/** The variables the recording hook saw; undefined when it did not run. */
function hookEnv(project: Project): Record<string, string> | undefined {
  const file = path.join(project.dir, 'hook-env.txt');
  if (!fs.existsSync(file)) return undefined;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

interface AuditDetailRow {
  readonly runId: string;
  readonly event: string;
  readonly outcome: string;
  readonly detail: Record<string, unknown>;
}

const parseDetail = (detail: unknown): Record<string, unknown> => (typeof detail === 'string' ? JSON.parse(detail) as Record<string, unknown> : detail as Record<string, unknown>);

function sqliteAudit(project: Project): AuditDetailRow[] {
  return project.withDb((db) => (db.prepare('SELECT run_id, event, outcome, detail FROM migrator_audit ORDER BY id').all() as Array<{ run_id: string; event: string; outcome: string; detail: string }>)
    .map((row) => ({ runId: row.run_id, event: row.event, outcome: row.outcome, detail: parseDetail(row.detail) })));
}

async function serverAudit(target: Target): Promise<AuditDetailRow[]> {
  const rows = await target.rows<{ run_id: string; event: string; outcome: string; detail: unknown }>('SELECT run_id, event, outcome, detail FROM migrator_audit ORDER BY id');
  return rows.map((row) => ({ runId: row.run_id, event: row.event, outcome: row.outcome, detail: parseDetail(row.detail) }));
}

interface RunDoc {
  readonly ok: boolean;
  readonly runId: string;
  readonly recoveryPoint: { readonly kind: string; readonly value: string | null; readonly detail: string } | null;
}

function runDoc(result: CliResult): RunDoc {
  if (result.code !== EXIT.ok) throw new Error(`expected exit 0\n${show(result)}`);
  return jsonDoc<RunDoc>(result.stdout);
}

/** Live (not zombie) processes of process group `pgid`, read from /proc. */
function liveInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && Number(pgrp) === pgid) found.push(Number(entry));
  }
  return found;
}

const BAK = /^migrator\.db\.\d{8}T\d{6}\.\d{3}Z(?:-\d+)?\.bak$/;
const bakFiles = (project: Project): string[] => fs.readdirSync(project.dir).filter((name) => BAK.test(name));

describe.concurrent('backup hook (SQLite)', () => {
  it('a protected up runs it first with the run context; its last stdout line is in the run.started audit row; down too', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: RECORDING_HOOK });
    const up = await project.run(['up', '--env', 'prod', '--actor', 'alice', '--json']);
    const doc = runDoc(up);
    expect(hookEnv(project)).toEqual({
      MIGRATOR_RUN_ID: doc.runId,
      MIGRATOR_ENVIRONMENT: 'prod',
      MIGRATOR_DIRECTION: 'up',
      MIGRATOR_ACTOR: 'alice',
      MIGRATOR_TARGET: 'SQLite sqlite:./migrator.db',
    });
    expect(fs.existsSync(path.join(project.dir, 'hook-saw.db')), 'the hook ran before the database file was created').toBe(false);
    const started = sqliteAudit(project).find((row) => row.event === 'run.started');
    expect(started?.runId).toBe(doc.runId);
    expect(started?.detail['backup']).toEqual({ durationMs: expect.any(Number), output: 'backup-id-42' });
    project.withDb((db) => expect(appliedVersions(db)).toEqual(['1', '2']));

    const down = await project.run(['down', '--env', 'prod', '--confirm', 'prod', '--reason', 'INC-9 rollback', '--actor', 'alice', '--json']);
    const downDoc = runDoc(down);
    expect(hookEnv(project)).toMatchObject({ MIGRATOR_RUN_ID: downDoc.runId, MIGRATOR_DIRECTION: 'down', MIGRATOR_ENVIRONMENT: 'prod' });
    // The copy the hook made is the database before the down: both versions still applied.
    withDb(path.join(project.dir, 'hook-saw.db'), (db) => expect(appliedVersions(db)).toEqual(['1', '2']));
    project.withDb((db) => expect(appliedVersions(db)).toEqual(['1']));
    const downRows = sqliteAudit(project).filter((row) => row.runId === downDoc.runId);
    expect(downRows.map((row) => row.event)).toEqual(['run.started', 'migration.reverted', 'run.finished']);
    expect(downRows[0]?.detail).toMatchObject({ direction: 'down', backup: { output: 'backup-id-42' }, reason: 'INC-9 rollback' });
    for (const row of downRows) expect(row.detail['reason'], row.event).toBe('INC-9 rollback');
  });

  it('a failing command (exit 3, "disk full") stops the run with exit 9: nothing applied, backup.failed audited', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, {});
    const failing = { MIGRATOR_BACKUP_COMMAND: 'echo "dumping..."; echo "pg_dump: error: could not write" >&2; echo "disk full" >&2; exit 3' };

    // No database yet: none is created.
    const first = await project.run(['up', '--env', 'prod'], { env: failing });
    expect(first.code, show(first)).toBe(EXIT.notPermitted);
    expect(first.stderr).toMatch(/^error\[E_BACKUP_FAILED\]: backup\.command failed with exit code 3, so "migrate up" did not start in the protected environment prod: nothing was changed$/m);
    expect(first.stderr).toMatch(/^ {4}disk full$/m);
    expect(first.stderr).not.toMatch(STACK_FRAME);
    expect(project.dbExists()).toBe(false);

    // With the metadata in place (an unprotected run), the refusal is audited.
    expect((await project.run(['up', '--env', 'dev', '--target', '1'])).code).toBe(EXIT.ok);
    const before = dbState(project.dbPath);
    const second = await project.run(['up', '--env', 'prod', '--reason', 'release 12', '--json'], { env: failing });
    expect(second.code, show(second)).toBe(EXIT.notPermitted);
    expect(jsonDoc<{ ok: boolean; error: { code: string; details: Record<string, unknown> } }>(second.stdout)).toMatchObject({
      ok: false,
      error: { code: 'E_BACKUP_FAILED', details: { environment: 'prod', direction: 'up', exitCode: 3, timedOut: false } },
    });
    expect(second.stderr).toContain('disk full');
    const after = dbState(project.dbPath);
    expect(after.schema).toEqual(before.schema);
    expect(after.history).toEqual(before.history);
    const added = sqliteAudit(project).slice(before.audit.length);
    expect(added.map((row) => `${row.event} ${row.outcome}`)).toEqual(['backup.failed failure']);
    expect(added[0]?.detail).toMatchObject({ code: 'E_BACKUP_FAILED', exitCode: 3, reason: 'release 12' });
    expect(String(added[0]?.detail['message'])).toContain('disk full');
    expect(bakFiles(project), 'no recovery copy either').toEqual([]);
  });

  it('a command that outlives backup.timeout is killed with its process group: exit 9, nothing applied', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: 'echo $$ > hook.pid; sleep 300 & echo $! > sleep.pid; wait', timeout: '1s' });
    // A hang guard, not a timing assertion: waiting for the sleep would take 300 s.
    const result = await project.run(['up', '--env', 'prod'], { timeoutMs: 60_000 });
    expect(result.code, show(result)).toBe(EXIT.notPermitted);
    expect(result.stderr).toMatch(/^error\[E_BACKUP_FAILED\]: backup\.command did not finish within 1s \(backup\.timeout\), so "migrate up" did not start/m);
    expect(project.dbExists()).toBe(false);
    const read = (name: string): number => Number(fs.readFileSync(path.join(project.dir, name), 'utf8').trim());
    const [shell, sleep] = [read('hook.pid'), read('sleep.pid')];
    expect(sleep).toBeGreaterThan(0);
    expect(liveInGroup(shell), `processes left in the hook's group ${shell}`).toEqual([]);
    // Control: the /proc reading finds a live group (this test's own).
    const own = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);
    expect(liveInGroup(own)).toContain(process.pid);
  });

  it.for([
    { signal: 'SIGINT', code: EXIT.interrupted, database: 'absent' },
    { signal: 'SIGTERM', code: EXIT.terminated, database: 'at version 1' },
  ] as const)('$signal while the command runs ($database): exit $code at once, its process group ended, nothing changed', { timeout: 90_000 }, async ({ signal, code, database }, { expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: 'echo $$ > hook.pid; sleep 30 & echo $! > sleep.pid; wait', timeout: '5m' });
    if (database !== 'absent') expect((await project.run(['up', '--env', 'dev', '--target', '1'])).code).toBe(EXIT.ok);
    const before = database === 'absent' ? undefined : dbState(project.dbPath);
    // A hang guard well beyond the sleep: without the signal reaching the hook the CLI would wait for it.
    const running = project.start(['up', '--env', 'prod'], { timeoutMs: 60_000 });
    const pidFile = path.join(project.dir, 'sleep.pid');
    for (let waited = 0; !(fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n')); waited += 50) {
      if (waited > 20_000) throw new Error('backup.command never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const sentAt = Date.now();
    running.child.kill(signal);
    const result = await running.result;
    const took = Date.now() - sentAt;

    expect(result.signal, 'the CLI handles the signal itself').toBeNull();
    expect(result.code, show(result)).toBe(code);
    expect(result.stderr).toMatch(/^error\[E_INTERRUPTED\]: interrupted while backup\.command ran: "migrate up" did not start, nothing was changed$/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    // Not a timing test: only far from the 30 s the hook's sleep would take.
    expect(took, 'the CLI waited for the hook').toBeLessThan(15_000);
    const shell = Number(fs.readFileSync(path.join(project.dir, 'hook.pid'), 'utf8').trim());
    expect(shell).toBeGreaterThan(0);
    expect(liveInGroup(shell), `processes left in the hook's group ${shell}`).toEqual([]);
    if (before === undefined) expect(project.dbExists(), 'the database file was created').toBe(false);
    else expect(dbState(project.dbPath)).toEqual(before);
    expect(bakFiles(project), 'a recovery copy was made').toEqual([]);
  });

  it('what the hook prints is scrubbed of known secrets before it reaches the audit row and the logs', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: 'echo "backup of $PGPASSWORD done"' });
    const secret = 'pg-Secret-771';
    const result = await project.run(['up', '--env', 'prod', '--json'], { env: { PGPASSWORD: secret } });
    const doc = runDoc(result);
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    const started = sqliteAudit(project).find((row) => row.runId === doc.runId && row.event === 'run.started');
    expect(started?.detail['backup']).toMatchObject({ output: 'backup of *** done' });
    expect(JSON.stringify(sqliteAudit(project))).not.toContain(secret);
  });

  it('a command that prints its backup to stdout (more than 2 MiB) is stopped and says so, not "timed out"', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, {});
    const result = await project.run(['up', '--env', 'prod'], { env: { MIGRATOR_BACKUP_COMMAND: 'head -c 3000000 /dev/zero' } });
    expect(result.code, show(result)).toBe(EXIT.notPermitted);
    expect(result.stderr).toMatch(/^error\[E_BACKUP_FAILED\]: backup\.command printed more than 2 MiB and was stopped \(write the backup to a file, not to stdout\)/m);
    expect(result.stderr).not.toContain('did not finish');
    expect(project.dbExists()).toBe(false);
  });

  it('does not run outside a protected environment, whether set in the file or MIGRATOR_BACKUP_COMMAND', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: RECORDING_HOOK });
    const up = runDoc(await project.run(['up', '--env', 'dev', '--target', '1', '--json']));
    expect(hookEnv(project)).toBeUndefined();
    // The variable may not replace the file's command (exit 3, nothing run)...
    const replaced = await project.run(['down', '--env', 'dev'], { env: { MIGRATOR_BACKUP_COMMAND: 'echo ran > env-hook.txt' } });
    expect(replaced.code, show(replaced)).toBe(EXIT.config);
    expect(replaced.stderr).toContain('would replace the backup.command the config file sets');
    // ...but sets one where the file has none, which still runs only where protected.
    writeConfig(project, {});
    const down = runDoc(await project.run(['down', '--env', 'dev', '--json'], { env: { MIGRATOR_BACKUP_COMMAND: 'echo ran > env-hook.txt' } }));
    expect(fs.existsSync(path.join(project.dir, 'env-hook.txt'))).toBe(false);
    expect(hookEnv(project)).toBeUndefined();
    const started = sqliteAudit(project).filter((row) => row.event === 'run.started');
    expect(started.map((row) => row.runId)).toEqual([up.runId, down.runId]);
    for (const row of started) expect(row.detail).not.toHaveProperty('backup');
  });

  it('does not run when there is nothing to do (up with nothing pending, down with nothing applied)', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, { command: 'echo ran >> hook-runs.txt' });
    const runs = (): number => (fs.existsSync(path.join(project.dir, 'hook-runs.txt')) ? fs.readFileSync(path.join(project.dir, 'hook-runs.txt'), 'utf8').split('\n').filter(Boolean).length : 0);
    const nothingApplied = await project.run(['down', '--env', 'prod', '--confirm', 'prod', '--reason', 'check']);
    expect(nothingApplied.code, show(nothingApplied)).toBe(EXIT.ok);
    expect(nothingApplied.stdout).toContain('Nothing to revert');
    expect(runs()).toBe(0);
    expect((await project.run(['up', '--env', 'prod'])).code).toBe(EXIT.ok);
    expect(runs()).toBe(1);
    const before = dbState(project.dbPath);
    const baks = bakFiles(project);
    const again = await project.run(['up', '--env', 'prod']);
    expect(again.code, show(again)).toBe(EXIT.ok);
    expect(again.stdout).toMatch(/Already up to date/);
    expect(runs(), 'the hook ran for an up with nothing pending').toBe(1);
    expect(dbState(project.dbPath)).toEqual(before);
    expect(bakFiles(project)).toEqual(baks);
  });
});

describe.concurrent('recovery point (SQLite)', () => {
  it('a protected run copies the database to <db>.<UTC stamp>.bak first, and the run.started audit row names it', async ({ expect, onTestFinished }) => {
    const project = setUp(onTestFinished, {});
    const plain = runDoc(await project.run(['up', '--env', 'dev', '--target', '1', '--json']));
    expect(plain.recoveryPoint).toMatchObject({ kind: 'none', value: null });
    expect(plain.recoveryPoint?.detail).toMatch(/protected/);
    expect(bakFiles(project), 'no copy outside a protected environment').toEqual([]);

    const result = await project.run(['up', '--env', 'prod', '--json']);
    const doc = runDoc(result);
    const [bak, ...more] = bakFiles(project);
    expect(more).toEqual([]);
    expect(bak).toMatch(BAK);
    const bakPath = fs.realpathSync(path.join(project.dir, bak ?? ''));
    expect(doc.recoveryPoint).toMatchObject({ kind: 'backup_file' });
    expect(fs.realpathSync(doc.recoveryPoint?.value ?? '')).toBe(bakPath);
    expect(doc.recoveryPoint?.detail).toContain(bak);
    const started = sqliteAudit(project).filter((row) => row.event === 'run.started' && row.runId === doc.runId);
    expect(started).toHaveLength(1);
    expect(started[0]?.detail['recoveryPoint']).toEqual(doc.recoveryPoint);
    expect(result.stderr).toMatch(/protected environment without backup\.command/);

    // The copy is a sound SQLite database holding the state before the run: version 1 only.
    withDb(bakPath, (db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(appliedVersions(db)).toEqual(['1']);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b') ORDER BY name`).pluck().all()).toEqual(['a']);
    });
    project.withDb((db) => expect(appliedVersions(db)).toEqual(['1', '2']));
  });
});

const postgres = cases.find((c) => c.engine === 'postgres') as EngineCase;
const mysql = cases.find((c) => c.engine === 'mysql') as EngineCase;
const label = (engineCase: EngineCase): string => (engineCase.skip === undefined ? engineCase.engine : `${engineCase.engine} (skipped: ${engineCase.skip})`);

describe.concurrent('backup hook and recovery point on PostgreSQL', () => {
  describe.skipIf(postgres.skip !== undefined)(label(postgres), () => {
    it('records the WAL LSN before each run; the hook never sees or prints the password', { timeout: 60_000 }, async ({ expect, onTestFinished }) => {
      const project = setUp(onTestFinished, { command: RECORDING_HOOK });
      const target = await createTarget(postgres, project, 'backup wal', { onTestFinished });
      const password = 'Hook-pw-9f3e';
      const url = new URL(target.url);
      url.password = password;
      const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliResult> =>
        project.run([...args, '--url', url.toString(), '--log-level', 'warn'], { env });

      const plain = await cli(['up', '--env', 'dev', '--target', '1', '--json']);
      const plainDoc = runDoc(plain);
      expect(hookEnv(project), 'unprotected: no hook').toBeUndefined();
      expect(plainDoc.recoveryPoint).toMatchObject({ kind: 'wal_lsn', value: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) });

      // A failing hook whose stderr repeats a secret: refused, audited, and the secret scrubbed.
      // (Set by the variable, so the file holds none meanwhile: the variable may not replace it.)
      writeConfig(project, {});
      const failed = await cli(['up', '--env', 'prod'], { MIGRATOR_PASSWORD: password, MIGRATOR_BACKUP_COMMAND: 'echo "login with $MIGRATOR_PASSWORD refused" >&2; exit 1' });
      writeConfig(project, { command: RECORDING_HOOK });
      expect(failed.code, show(failed)).toBe(EXIT.notPermitted);
      expect(failed.stderr).toMatch(/^ {4}login with \*\*\* refused$/m);
      expect(`${failed.stdout}${failed.stderr}`).not.toContain(password);
      expect((await serverAudit(target)).at(-1)).toMatchObject({ event: 'backup.failed', outcome: 'failure' });
      expect((await target.history()).map((row) => row.version)).toEqual(['1']);

      const result = await cli(['up', '--env', 'prod', '--json']);
      const doc = runDoc(result);
      expect(`${result.stdout}${result.stderr}`).not.toContain(password);
      const env = hookEnv(project);
      expect(env).toMatchObject({ MIGRATOR_RUN_ID: doc.runId, MIGRATOR_ENVIRONMENT: 'prod', MIGRATOR_DIRECTION: 'up' });
      expect(env?.['MIGRATOR_TARGET']).toBe(`PostgreSQL postgres://postgres:***@${url.host}${url.pathname}`);
      expect(JSON.stringify(env)).not.toContain(password);

      const audit = await serverAudit(target);
      const starts = audit.filter((row) => row.event === 'run.started');
      expect(starts.map((row) => row.runId)).toEqual([plainDoc.runId, doc.runId]);
      expect(starts[0]?.detail['recoveryPoint']).toEqual(plainDoc.recoveryPoint);
      expect(starts[1]?.detail).toMatchObject({ recoveryPoint: doc.recoveryPoint, backup: { output: 'backup-id-42' } });
      expect(doc.recoveryPoint?.value).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(doc.recoveryPoint?.detail).toContain(`recovery_target_lsn = '${doc.recoveryPoint?.value ?? ''}'`);
      // Each point precedes the writes of its run, so the second lies beyond the first.
      const [order] = await target.rows<{ first_before_second: boolean; second_before_now: boolean }>(
        `SELECT '${plainDoc.recoveryPoint?.value ?? ''}'::pg_lsn < '${doc.recoveryPoint?.value ?? ''}'::pg_lsn AS first_before_second,
                '${doc.recoveryPoint?.value ?? ''}'::pg_lsn < pg_current_wal_lsn() AS second_before_now`,
      );
      expect(order).toEqual({ first_before_second: true, second_before_now: true });
    });
  });
});

describe.concurrent('recovery point on MySQL', () => {
  describe.skipIf(mysql.skip !== undefined)(label(mysql), () => {
    it('records the binlog position, or "none" with the reason when binary logging is off', async ({ expect, onTestFinished }) => {
      const project = setUp(onTestFinished, {});
      const target = await createTarget(mysql, project, 'backup binlog', { onTestFinished });
      const [server] = await target.rows<{ log_bin: number | string }>('SELECT @@log_bin AS log_bin');
      const doc = runDoc(await project.run(['up', '--url', target.url, '--log-level', 'warn', '--json']));
      if (Number(server?.log_bin) === 1) {
        expect(doc.recoveryPoint?.kind).toBe('binlog');
        expect(doc.recoveryPoint?.value).toMatch(/^(?:\S+:\d+(?: gtid=\S+)?|gtid=\S+)$/);
      } else {
        expect(doc.recoveryPoint).toMatchObject({ kind: 'none', value: null });
        expect(doc.recoveryPoint?.detail).toMatch(/binary logging is off/);
      }
      const started = (await serverAudit(target)).filter((row) => row.event === 'run.started');
      expect(started).toHaveLength(1);
      expect(started[0]?.detail['recoveryPoint']).toEqual(doc.recoveryPoint);
    });
  });
});
