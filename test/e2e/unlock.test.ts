/**
 * `migrate unlock` as an operator meets it: a stale lease is released (exit 0) and audited, and the
 * next `up` runs without waiting; a live holder, a lease of another host before its expiry and any
 * advisory lock are refused with exit 7 naming the holder and the next step; a protected
 * environment wants --confirm (exit 9, nothing changed). Server engines skip without a server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, it } from 'vitest';
import { EXIT, Project, audit, jsonDoc, logLines, slowStatement, withDb } from './helpers.js';
import { createTarget, engineCases, type Target } from './engines/support.js';
import { deadPid } from '../support/processes.js';

const V1 = 'CREATE TABLE one (x INTEGER);\n';
const V2 = 'CREATE TABLE two (x INTEGER);\n';
const TABLE = { MIGRATOR_LOCK_STRATEGY: 'table' };

/** The CLI's pid scope: it runs on this host, in this pid namespace. */
const SCOPE = `${os.hostname()} ${fs.readlinkSync('/proc/self/ns/pid')}`;

interface LeaseRow {
  readonly run_id: string | null;
  readonly pid: number | null;
  readonly generation: number;
}

/** Writes a holder into the SQLite lease row, as a run would have left it. */
function writeLease(project: Project, values: { runId: string; host: string; pid: number; scope: string; expiresInMs: number }): void {
  const db = new Database(project.dbPath);
  try {
    const now = Date.now();
    db.prepare(`UPDATE migrator_lock SET run_id = ?, actor = 'ghost', host = ?, pid = ?, pid_scope = ?, acquired_at = ?,
      heartbeat_at = ?, expires_at = ?, generation = generation + 1 WHERE id = 1`)
      .run(values.runId, values.host, values.pid, values.scope, now - 120_000, now - 5_000, now + values.expiresInMs);
  } finally {
    db.close();
  }
}

const leaseRow = (project: Project): LeaseRow => withDb(project.dbPath, (db) => db.prepare('SELECT run_id, pid, generation FROM migrator_lock WHERE id = 1').get() as LeaseRow);
const lastAudit = (project: Project): { event: string; detail: Record<string, unknown> } => withDb(project.dbPath, (db) => {
  const row = db.prepare('SELECT event, detail FROM migrator_audit ORDER BY id DESC LIMIT 1').get() as { event: string; detail: string };
  return { event: row.event, detail: JSON.parse(row.detail) as Record<string, unknown> };
});

async function applied(project: Project, env: Record<string, string> = {}, url: string[] = []): Promise<void> {
  project.write('V1__one.sql', V1);
  const up = await project.run(['up', ...url], { env });
  if (up.code !== EXIT.ok) throw new Error(`setup up failed:\n${up.stderr}`);
}

describe.concurrent('migrate unlock on SQLite', () => {
  it('without a lock held: exit 0, nothing to do, and no database file created', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['unlock']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^No migration lock is held on SQLite .*: nothing to do\.$/m);
    expect(project.dbExists()).toBe(false);
  });

  it('releases a lease whose process is gone, audits it, and the next up runs at once', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    await applied(project);
    const pid = deadPid();
    writeLease(project, { runId: 'dead-run', host: os.hostname(), pid, scope: SCOPE, expiresInMs: 55_000 });
    const before = leaseRow(project);

    const result = await project.run(['unlock', '--json']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<{ ok: boolean; released: boolean; because: string; audited: boolean; lock: Record<string, unknown> }>(result.stdout);
    expect(doc).toMatchObject({ ok: true, released: true, because: 'holder-gone', audited: true, lock: { strategy: 'lease', state: 'held', holder: { owner: 'dead-run', pid, user: 'ghost' }, lease: { process: 'gone', expired: false } } });
    // Taken over (generation + 1, which fences the old holder), then released: the row is free.
    expect(leaseRow(project)).toEqual({ run_id: null, pid: null, generation: before.generation + 1 });
    const row = lastAudit(project);
    expect(row.event).toBe('unlock');
    expect(row.detail).toMatchObject({ because: 'holder-gone', forced: false, holder: { owner: 'dead-run', pid } });

    project.write('V2__two.sql', V2);
    const up = await project.run(['up', '--lock-timeout', '1s']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
  });

  it('refuses a lease of another host before it expires (exit 7, naming it); --force breaks it, audited', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    await applied(project);
    writeLease(project, { runId: 'remote-run', host: 'ci-runner-7', pid: 4242, scope: 'ci-runner-7 pid:[4026531836]', expiresInMs: 55_000 });
    const before = leaseRow(project);

    const refused = await project.run(['unlock']);
    expect(refused.code).toBe(EXIT.lockTimeout);
    expect(refused.stderr).toMatch(/^error\[E_LOCK_HELD\]: the migration lock on SQLite \S+ \(migrator_lock row 1\) is held by user ghost, host ci-runner-7, pid 4242, since \S+, run remote-run: its lease runs until \d{4}-\S+Z, and whether pid 4242 on host ci-runner-7 is alive cannot be checked from here$/m);
    expect(refused.stderr).toMatch(/^ {2}hint: Wait until \S+: .*ps -p 4242.*migrate unlock --force/m);
    expect(leaseRow(project)).toEqual(before);

    // Without --force the next run would wait for the expiry; with it, it goes at once.
    const forced = await project.run(['unlock', '--force']);
    expect(forced.code, forced.stderr).toBe(EXIT.ok);
    expect(forced.stdout).toContain('held by user ghost, host ci-runner-7, pid 4242');
    expect(forced.stdout).toContain(': broken with --force.');
    expect(forced.stdout).toContain('Recorded in the audit log (event "unlock").');
    expect(leaseRow(project).run_id).toBeNull();
    expect(lastAudit(project).detail).toMatchObject({ because: 'forced', forced: true });
    project.write('V2__two.sql', V2);
    expect((await project.run(['up', '--lock-timeout', '1s'])).code).toBe(EXIT.ok);
  });

  it('releases an expired lease of another host without --force', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    await applied(project);
    writeLease(project, { runId: 'remote-run', host: 'ci-runner-7', pid: 4242, scope: 'ci-runner-7 pid:[4026531836]', expiresInMs: -1_000 });
    const result = await project.run(['unlock']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/: its lease expired at \S+Z\.$/m);
    expect(lastAudit(project).detail).toMatchObject({ because: 'expired', forced: false });
  });

  it('refuses a live holder on this host, also with --force (exit 7); the holder finishes', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__slow.sql', ['CREATE TABLE slow (x);', ...Array.from({ length: 15 }, () => slowStatement(1_000_000))].join('\n'));
    let started!: () => void;
    const holding = new Promise<void>((resolve) => { started = resolve; });
    const holder = project.start(['up'], {
      timeoutMs: 60_000,
      onStderr: (stderr) => {
        if (logLines(stderr).some((line) => line.msg === 'run started')) started();
      },
    });
    await Promise.race([holding, holder.result]);

    for (const args of [['unlock'], ['unlock', '--force']]) {
      const refused = await project.run(args);
      expect(refused.code, refused.stderr).toBe(EXIT.lockTimeout);
      expect(refused.stderr).toContain(`pid ${String(holder.child.pid)}`);
      expect(refused.stderr).toContain(`its process ${String(holder.child.pid)} is still running on this host`);
      expect(refused.stderr).toContain('--force does not override a live process on this host');
    }
    const done = await holder.result;
    expect(done.code, done.stderr).toBe(EXIT.ok);
    expect(withDb(project.dbPath, audit).map((row) => row.event)).not.toContain('unlock');
  }, 60_000);

  it('in a protected environment, wants --confirm (exit 9) and changes nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'environments:\n  prod:\n    protected: true\n');
    await applied(project);
    writeLease(project, { runId: 'remote-run', host: 'ci-runner-7', pid: 4242, scope: 'ci-runner-7 pid:[4026531836]', expiresInMs: 55_000 });
    const before = { lease: leaseRow(project), audit: withDb(project.dbPath, audit) };

    const denied = await project.run(['unlock', '--force', '--env', 'prod', '--lock-timeout', '1s']);
    expect(denied.code).toBe(EXIT.notPermitted);
    expect(denied.stderr).toContain('prod is a protected environment: "unlock" needs --confirm prod');
    expect({ lease: leaseRow(project), audit: withDb(project.dbPath, audit) }).toEqual(before);

    const confirmed = await project.run(['unlock', '--force', '--env', 'prod', '--confirm', 'prod', '--reason', 'INC-7 runner lost']);
    expect(confirmed.code, confirmed.stderr).toBe(EXIT.ok);
    expect(lastAudit(project).detail).toMatchObject({ because: 'forced', reason: 'INC-7 runner lost' });
  });
});

const cases = (await engineCases(['postgres', 'mysql'])).filter((c) => c.engine !== 'sqlite');

/** A plain connection to the target's database, closed when the test finishes. */
async function connect(target: Target, onTestFinished: (fn: () => Promise<void>) => void, applicationName = 'unlock-e2e-holder'): Promise<{ query(sql: string): Promise<Array<Record<string, unknown>>>; id: number }> {
  if (target.engine === 'postgres') {
    const client = new pg.Client({ connectionString: target.url, application_name: applicationName });
    client.on('error', () => undefined);
    await client.connect();
    onTestFinished(() => client.end().catch(() => undefined));
    const id = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
    return { query: async (sql) => (await client.query(sql)).rows as Array<Record<string, unknown>>, id };
  }
  const connection = await mysql.createConnection({ uri: target.url });
  connection.on('error', () => undefined);
  onTestFinished(() => connection.end().catch(() => undefined));
  const [rows] = await connection.query('SELECT CONNECTION_ID() AS id');
  return { query: async (sql) => (await connection.query(sql))[0] as Array<Record<string, unknown>>, id: Number((rows as Array<{ id: number }>)[0]?.id) };
}

// The lock's key and name exactly as docs/concepts.md defines them (and the runbook queries them).
const TAKE_ADVISORY = {
  postgres: `SELECT pg_advisory_lock((('x' || left(encode(sha256(convert_to('migrator:' || current_database() || '.' || current_schema() || '.migrator_history', 'UTF8')), 'hex'), 16))::bit(64)::bigint))`,
  mysql: `SELECT GET_LOCK(CONCAT('migrator:', LEFT(SHA2(CONCAT(DATABASE(), '.migrator_history'), 256), 40)), 0)`,
};
const EXPIRE_LEASE = {
  postgres: `UPDATE migrator_lock SET run_id = 'dead-run', actor = 'ghost', host = 'gone-host', pid = 4242, acquired_at = now() - interval '5 minutes',
    heartbeat_at = now() - interval '2 minutes', expires_at = now() - interval '1 minute', generation = generation + 1 WHERE id = 1`,
  mysql: `UPDATE migrator_lock SET run_id = 'dead-run', actor = 'ghost', host = 'gone-host', pid = 4242, pid_scope = 'gone-host pid:[1]',
    acquired_at = UNIX_TIMESTAMP() * 1000 - 300000, heartbeat_at = UNIX_TIMESTAMP() * 1000 - 120000, expires_at = UNIX_TIMESTAMP() * 1000 - 60000,
    generation = generation + 1 WHERE id = 1`,
};

/** A run's lease with a short lease (the test-only switch): its expiry is seconds away, not a minute. */
const SHORT_LEASE = { ...TABLE, MIGRATOR_TEST_LEASE_MS: '1500' };
const SLEEP = { postgres: (seconds: number) => `SELECT pg_sleep(${seconds})`, mysql: (seconds: number) => `SELECT SLEEP(${seconds})` };
/** How many sessions run the statement that starts with `sql`, as the server lists them. */
const RUNNING = {
  postgres: (sql: string) => `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '${sql}%'`,
  mysql: (sql: string) => `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '${sql}%'`,
};
/** The lease of a run whose migrate process is gone while its connection still executes a statement. */
const BUSY_LEASE = {
  postgres: `UPDATE migrator_lock SET run_id = 'dead-run', actor = 'ghost', host = 'gone-host', pid = 4242, acquired_at = clock_timestamp(),
    heartbeat_at = clock_timestamp() - interval '2 minutes', expires_at = clock_timestamp() - interval '1 minute', backend_pid = pg_backend_pid(),
    generation = generation + 1 WHERE id = 1`,
  mysql: `UPDATE migrator_lock SET run_id = 'dead-run', actor = 'ghost', host = 'gone-host', pid = 4242, pid_scope = 'gone-host pid:[1]',
    acquired_at = UNIX_TIMESTAMP() * 1000 - 300000, heartbeat_at = UNIX_TIMESTAMP() * 1000 - 120000, expires_at = UNIX_TIMESTAMP() * 1000 - 60000,
    connection_id = CONNECTION_ID(), connection_server = CONCAT(@@hostname, ':', @@port), generation = generation + 1 WHERE id = 1`,
};

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  for (const started = Date.now(); !(await check());) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.concurrent('migrate unlock on the server engines', () => {
  for (const engineCase of cases) {
    const engine = engineCase.engine as 'postgres' | 'mysql';
    it.skipIf(engineCase.skip !== undefined)(`${engine}: an advisory lock held by another session is refused (exit 7) with the statement that ends it`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `unlock advisory ${engine}`, { onTestFinished });
      const holder = await connect(target, onTestFinished);
      await holder.query(TAKE_ADVISORY[engine]);
      const terminate = engine === 'postgres' ? `SELECT pg_terminate_backend(${holder.id})` : `KILL ${holder.id}`;

      const refused = await project.run(['unlock', '--url', target.url, '--force']);
      expect(refused.code, refused.stderr).toBe(EXIT.lockTimeout);
      expect(refused.stderr).toMatch(new RegExp(`^error\\[E_LOCK_HELD\\]: .* server session ${holder.id}\\b`, 'm'));
      expect(refused.stderr).toContain('never stale');
      expect(refused.stderr).toContain(terminate);
      if (engine === 'postgres') expect(refused.stderr).toContain('application "unlock-e2e-holder"');

      const json = await project.run(['unlock', '--url', target.url, '--json']);
      expect(json.code).toBe(EXIT.lockTimeout);
      expect(jsonDoc(json.stdout)).toMatchObject({ ok: false, error: { code: 'E_LOCK_HELD', details: { released: false, lock: { strategy: 'advisory', state: 'held', releasable: false, session: { id: holder.id, terminate } } } } });

      // What the hint says, run from another connection, frees it.
      const admin = await connect(target, onTestFinished);
      await admin.query(terminate);
      const free = await project.run(['unlock', '--url', target.url]);
      expect(free.code, free.stderr).toBe(EXIT.ok);
      expect(free.stdout).toContain('No migration lock is held');
    });

    it.skipIf(engineCase.skip !== undefined)(`${engine}, lock.strategy table: an expired lease is released and audited`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `unlock lease ${engine}`, { onTestFinished });
      await applied(project, TABLE, ['--url', target.url]);
      const admin = await connect(target, onTestFinished);
      await admin.query(EXPIRE_LEASE[engine]);

      const result = await project.run(['unlock', '--url', target.url, '--json'], { env: TABLE });
      expect(result.code, result.stderr).toBe(EXIT.ok);
      expect(jsonDoc(result.stdout)).toMatchObject({ ok: true, released: true, because: 'expired', audited: true, lock: { strategy: 'lease', holder: { owner: 'dead-run', host: 'gone-host', pid: 4242 }, lease: { expired: true, process: 'unknown' } } });
      expect(await target.rows('SELECT run_id FROM migrator_lock WHERE id = 1')).toEqual([{ run_id: null }]);
      expect((await target.auditEvents()).map((row) => row.event).at(-1)).toBe('unlock');

      project.write('V2__two.sql', V2);
      const up = await project.run(['up', '--url', target.url, '--lock-timeout', '2s'], { env: TABLE });
      expect(up.code, up.stderr).toBe(EXIT.ok);
    });

    it.skipIf(engineCase.skip !== undefined)(`${engine}, lock.strategy table: a run inside a statement longer than its lease keeps the lock; unlock and a second up are refused`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `unlock long ${engine}`, { onTestFinished });
      // Long enough for three CLI runs while it sleeps, also on a busy machine.
      const statement = SLEEP[engine](10);
      project.write('V1__long.sql', `${statement};\n`);
      const holder = project.start(['up', '--url', target.url], { env: SHORT_LEASE, timeoutMs: 25_000 });
      await waitFor(async () => Number((await target.rows<{ n: number }>(RUNNING[engine](statement)))[0]?.n) > 0, 'the long statement');
      // Two lease lengths into the statement: without a heartbeat beside it, the lease expired.
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const refused = await project.run(['unlock', '--url', target.url], { env: SHORT_LEASE });
      expect(refused.code, refused.stderr).toBe(EXIT.lockTimeout);
      expect(refused.stderr).toMatch(/^error\[E_LOCK_HELD\]: /m);
      const forced = await project.run(['unlock', '--url', target.url, '--force'], { env: SHORT_LEASE });
      expect(forced.code, forced.stderr).toBe(EXIT.lockTimeout);
      // PostgreSQL records no pid scope: the busy connection is what refuses --force. MySQL sees the live process first.
      expect(forced.stderr).toContain(engine === 'postgres' ? 'is still busy' : `its process ${String(holder.child.pid)} is still running on this host`);
      const second = await project.run(['up', '--url', target.url, '--lock-timeout', '1s'], { env: SHORT_LEASE });
      expect(second.code, second.stderr).toBe(EXIT.lockTimeout);
      expect(second.stderr).toMatch(/^error\[E_LOCK_TIMEOUT\]: /m);

      const done = await holder.result;
      expect(done.code, done.stderr).toBe(EXIT.ok);
      expect(done.stderr).not.toContain('E_LOCK_LOST');
      expect(await target.history()).toMatchObject([{ version: '1', state: 'applied' }]);
      expect((await target.auditEvents()).map((row) => row.event)).not.toContain('unlock');
    }, 30_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}, lock.strategy table: an expired lease whose holder connection still executes is refused, also with --force, until that session ends`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `unlock busy ${engine}`, { onTestFinished });
      await applied(project, TABLE, ['--url', target.url]);
      const holder = await connect(target, onTestFinished, 'migrator 0.0.9 gone-host 4242');
      await holder.query(BUSY_LEASE[engine]);
      const statement = SLEEP[engine](20);
      const running = holder.query(statement).catch(() => undefined);
      await waitFor(async () => Number((await target.rows<{ n: number }>(RUNNING[engine](statement)))[0]?.n) > 0, 'the holder statement');
      const terminate = engine === 'postgres' ? `SELECT pg_terminate_backend(${holder.id})` : `KILL ${holder.id}`;

      const refused = await project.run(['unlock', '--url', target.url, '--force', '--json'], { env: TABLE });
      expect(refused.code, refused.stderr).toBe(EXIT.lockTimeout);
      const doc = jsonDoc<{ error: { code: string; message: string; hint: string } }>(refused.stdout);
      expect(doc).toMatchObject({ ok: false, error: { code: 'E_LOCK_HELD', details: { released: false, lock: { lease: { expired: true, connection: { status: 'busy', session: { id: holder.id, terminate } } } } } } });
      expect(doc.error.message).toMatch(new RegExp(`its lease expired at \\S+, but its server session ${holder.id}\\b.* is still busy$`));
      expect(doc.error.hint).toContain(terminate);
      const up = await project.run(['up', '--url', target.url, '--lock-timeout', '1s'], { env: TABLE });
      expect(up.code, up.stderr).toBe(EXIT.lockTimeout);

      // What the hint says, run from another connection, ends the statement; then the lease is stale.
      const admin = await connect(target, onTestFinished);
      await admin.query(terminate);
      await running;
      const released = await project.run(['unlock', '--url', target.url, '--json'], { env: TABLE });
      expect(released.code, released.stderr).toBe(EXIT.ok);
      expect(jsonDoc(released.stdout)).toMatchObject({ ok: true, released: true, because: 'expired' });
    });
  }
});
