/**
 * `migrate doctor` and the automatic pre-flight before `up` in protected environments, as an
 * operator meets them: every check listed, the exit code of the worst failing one (4, 6, 9), and
 * nothing created or written by the checks themselves. Limited users are real ones: a file this
 * user may not write (as root, where permissions do not bind, the CLI runs as `nobody`), a
 * PostgreSQL role with SELECT only, a MariaDB user with SELECT only.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { admin } from '../support/databases.js';
import { createTarget, engineCases, type EngineCase } from './engines/support.js';
import { createReadOnlyRole, metadataTables } from './gate-support.js';
import { BIN, EXIT, Project, cleanEnv, jsonDoc, type CliResult } from './helpers.js';

const cases = await engineCases(['postgres', 'mysql']);
const postgres = cases.find((c) => c.engine === 'postgres') as EngineCase;
const mysql = cases.find((c) => c.engine === 'mysql') as EngineCase;

interface DoctorDoc {
  readonly ok: boolean;
  readonly target: string;
  readonly command: string;
  readonly checks: ReadonlyArray<{ readonly name: string; readonly status: string; readonly subject: string | null; readonly detail: string; readonly code: string | null }>;
}

const show = (result: CliResult | { status: number | null; stdout: string; stderr: string }) =>
  `exit ${String('code' in result ? result.code : result.status)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
const V1 = 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n';
const root = process.getuid?.() === 0;

describe.concurrent('migrate doctor on SQLite', () => {
  it('lists every check, exits 0, and creates nothing; --json is one document', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    p.write('V1__a.sql', V1);
    const human = await p.run(['doctor']);
    expect(human.code, show(human)).toBe(EXIT.ok);
    expect(p.normalise(human.stdout)).toMatch(new RegExp([
      '^Pre-flight checks for "up" on SQLite sqlite:./migrator.db',
      ' {2}ok {4}connection {2}connected to SQLite <dir>/migrator.db as \\S+',
      ' {2}ok {4}server {6}SQLite 3\\.\\d+\\.\\d+',
      ' {2}ok {4}privilege {3}read <dir>/migrator.db: the file does not exist yet: it reads as an empty database',
      ' {2}ok {4}privilege {3}write <dir>: granted',
      ' {2}ok {4}metadata {4}no metadata tables yet: the first "migrate up" creates them',
      ' {2}(?:ok {4}|WARN {2})disk {8}.* free of .* at <dir>; database 0 B.*',
      ' {2}ok {4}lock {8}free \\(migrator_lock row 1\\)',
      ' {2}ok {4}pending {5}1 pending: 1',
      '8 checks: \\d ok, \\d warnings?, 0 unknown, 0 failed\n$',
    ].join('\n')));
    expect(p.dbExists(), 'doctor must not create the database file').toBe(false);

    expect((await p.run(['up'])).code).toBe(EXIT.ok);
    const json = await p.run(['doctor', '--json', '--for', 'status']);
    expect(json.code, show(json)).toBe(EXIT.ok);
    const doc = jsonDoc<DoctorDoc>(json.stdout);
    expect(doc).toMatchObject({ ok: true, target: 'SQLite sqlite:./migrator.db', command: 'status' });
    expect(doc.checks.map((c) => c.name)).toEqual(['connection', 'server', 'privilege', 'metadata', 'disk', 'lock', 'pending']);
    expect(doc.checks[2]).toMatchObject({ status: 'ok', subject: expect.stringMatching(/^read \/.*migrator\.db$/) });
    expect(doc.checks.find((c) => c.name === 'metadata')?.detail).toBe('format 2');
    expect(doc.checks.find((c) => c.name === 'pending')?.detail).toBe('none: the database is up to date with the files');
  });

  it('rejects an unknown --for with a usage error', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    const result = await p.run(['doctor', '--for', 'lint']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('error[E_USAGE]:');
  });

  it('a file this user may not write: exit 9 for up, 0 for status', ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    p.write('V1__a.sql', V1);
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: p.dir, env: cleanEnv(), encoding: 'utf8', ...(root ? { uid: 65534, gid: 65534 } : {}) });
    expect(spawnSync(process.execPath, [BIN, 'up'], { cwd: p.dir, env: cleanEnv(), encoding: 'utf8' }).status).toBe(EXIT.ok);
    p.write('V2__b.sql', 'CREATE TABLE b (x INTEGER);\n');
    const modes = [[p.dir, 0o555], [p.migrationsDir, 0o555], [p.dbPath, 0o444]] as const;
    for (const [file, mode] of modes) chmodSync(file, mode);
    onTestFinished(() => {
      chmodSync(p.dir, 0o755);
      chmodSync(p.migrationsDir, 0o755);
    });
    const up = run(['doctor']);
    expect(up.status, show(up)).toBe(EXIT.notPermitted);
    expect(up.stdout).toMatch(/^ {2}FAIL {2}privilege {3}write \S*migrator\.db: \S+ may not: migrations and their history are written to it$/m);
    expect(up.stdout).toMatch(/^ {2}FAIL {2}privilege {3}write \S+: \S+ may not: SQLite creates its rollback journal/m);
    expect(up.stdout).toMatch(/^ {2}ok {4}privilege {3}read \S*migrator\.db: granted$/m);
    expect(up.stderr).toMatch(/^error\[E_PRIVILEGE\]: 2 pre-flight checks failed for "up" on SQLite \S+migrator\.db: privilege write \S+migrator\.db; privilege write /m);
    const status = run(['doctor', '--for', 'status']);
    expect(status.status, show(status)).toBe(EXIT.ok);
    expect(status.stdout).toMatch(/^ {2}ok {4}pending {5}1 pending: 2$/m);
  });

  it('metadata written by a newer migrator: exit 6, and the pending count is not guessed', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    p.write('V1__a.sql', V1);
    expect((await p.run(['up'])).code).toBe(EXIT.ok);
    const db = new Database(p.dbPath);
    db.prepare(`UPDATE migrator_meta SET value = '99' WHERE key = 'format'`).run();
    db.close();
    const result = await p.run(['doctor']);
    expect(result.code, show(result)).toBe(EXIT.stateDisagrees);
    expect(result.stdout).toMatch(/^ {2}FAIL {2}metadata {4}format 99, newer than the 2 this migrator understands$/m);
    expect(result.stdout).toMatch(/^ {2}\? {5}pending {5}cannot count the pending migrations/m);
    expect(result.stderr).toMatch(/^error\[E_METADATA_VERSION\]: 1 pre-flight check failed for "up" on SQLite \S+: metadata \(format 99, /m);
    const json = await p.run(['doctor', '--json']);
    expect(json.code).toBe(EXIT.stateDisagrees);
    expect(jsonDoc<DoctorDoc>(json.stdout)).toMatchObject({ ok: false });
    expect(jsonDoc<DoctorDoc>(json.stdout).checks.filter((c) => c.status === 'fail')).toEqual([expect.objectContaining({ name: 'metadata', code: 'E_METADATA_VERSION' })]);
  });

  it('a lease held by another run warns, naming the holder, and does not fail; an expired one is free', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    p.write('V1__a.sql', V1);
    expect((await p.run(['up'])).code).toBe(EXIT.ok);
    const lease = (expiresAt: number) => {
      const db = new Database(p.dbPath);
      db.prepare(`UPDATE migrator_lock SET run_id = 'other-run', actor = 'alice', host = 'ci-7', pid = 4242, pid_scope = 'elsewhere',
        acquired_at = ?, heartbeat_at = ?, expires_at = ? WHERE id = 1`).run(Date.UTC(2026, 0, 2), Date.now(), expiresAt);
      db.close();
    };
    lease(Date.now() + 3_600_000);
    const held = await p.run(['doctor']);
    expect(held.code, show(held)).toBe(EXIT.ok);
    expect(held.stdout).toMatch(/^ {2}WARN {2}lock {8}held by user alice, host ci-7, pid 4242, since 2026-01-02T00:00:00.000Z, run other-run \(migrator_lock row 1\)$/m);
    expect(held.stdout).toMatch(/^ {20}hint: Another run is migrating this database now/m);
    lease(Date.now() - 1000);
    const expired = await p.run(['doctor']);
    expect(expired.stdout).toMatch(/^ {2}ok {4}lock {8}left by user alice, .*run other-run, whose lease has expired: the next run takes it over$/m);
  });
});

const PROTECTED = 'environments:\n  prod:\n    protected: true\n';

describe.concurrent('automatic pre-flight before up in a protected environment', () => {
  it('runs before up (not for dry runs, not unprotected) and refuses a newer metadata format with E_METADATA_VERSION (exit 6, as unprotected), changing nothing', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    writeFileSync(path.join(p.dir, 'migrator.config.yaml'), PROTECTED);
    p.write('V1__a.sql', V1);
    const up = await p.run(['up', '--env', 'prod']);
    expect(up.code, show(up)).toBe(EXIT.ok);
    expect(up.stdout).toMatch(/^Pre-flight for "up" \(protected environment prod\): 8 checks: \d ok, \d warnings?, 0 unknown, 0 failed$/m);
    p.write('V2__b.sql', 'CREATE TABLE b (x INTEGER);\n');
    expect((await p.run(['up', '--env', 'prod', '--dry-run'])).stdout).not.toContain('Pre-flight');
    const db = new Database(p.dbPath);
    db.prepare(`UPDATE migrator_meta SET value = '99' WHERE key = 'format'`).run();
    db.close();
    const refused = await p.run(['up', '--env', 'prod']);
    expect(refused.code, show(refused)).toBe(EXIT.stateDisagrees);
    expect(refused.stdout).toMatch(/^ {2}FAIL {2}metadata {4}format 99, newer than the 2 this migrator understands$/m);
    expect(refused.stderr).toMatch(/^error\[E_METADATA_VERSION\]: "up" refused in the protected environment prod: 1 pre-flight check failed: metadata \(format 99, /m);
    expect(refused.stderr).toMatch(/^ {2}hint: Nothing was changed\. .*Run "migrate doctor --env prod --for up" for the full report\.$/m);
    p.withDb((check) => expect(check.prepare(`SELECT name FROM sqlite_master WHERE name = 'b'`).all()).toEqual([]));
    // Unprotected, there is no pre-flight: up itself refuses the format, with the same exit code.
    const plain = await p.run(['up']);
    expect(plain.stdout).not.toContain('Pre-flight');
    expect(plain.code).toBe(EXIT.stateDisagrees);
  });

  const skip = postgres.skip;
  it.skipIf(skip !== undefined)(`refuses up as a PostgreSQL role without CREATE before creating anything${skip ? ` (skipped: ${skip})` : ''}`, async ({ expect, onTestFinished }) => {
    if (postgres.server === undefined) throw new Error('no PostgreSQL server');
    const p = new Project({ onTestFinished });
    const target = await createTarget(postgres, p, 'doctor preflight', { onTestFinished });
    const role = await createReadOnlyRole(postgres.server, target, { onTestFinished });
    await role.grantSelectOnly();
    writeFileSync(path.join(p.dir, 'migrator.config.yaml'), PROTECTED);
    p.write('V1__a.sql', V1);
    const refused = await p.run(['up', '--env', 'prod', '--url', role.url, '--log-level', 'warn'], { env: { MIGRATOR_PASSWORD: 'x' } });
    expect(refused.code, show(refused)).toBe(EXIT.notPermitted);
    expect(refused.stdout).toMatch(/^ {2}FAIL {2}privilege {3}CREATE on schema public: missing CREATE/m);
    expect(refused.stderr).toMatch(/^error\[E_PRIVILEGE\]: "up" refused in the protected environment prod: 1 pre-flight check failed: privilege CREATE on schema public$/m);
    expect(refused.stderr).toContain(`GRANT CREATE ON SCHEMA "public" TO "${role.name}"`);
    expect(await metadataTables(target, p)).toEqual([]);
  });
});

describe.concurrent('migrate doctor on the servers', () => {
  it.skipIf(postgres.skip !== undefined)(`PostgreSQL: a SELECT-only role fails for up (exit 9), passes for status${postgres.skip ? ` (skipped: ${postgres.skip})` : ''}`, async ({ expect, onTestFinished }) => {
    if (postgres.server === undefined) throw new Error('no PostgreSQL server');
    const p = new Project({ onTestFinished });
    const target = await createTarget(postgres, p, 'doctor role', { onTestFinished });
    const role = await createReadOnlyRole(postgres.server, target, { onTestFinished });
    p.write('V1__a.sql', V1);
    expect((await p.run(['up', '--url', target.url])).code).toBe(EXIT.ok);
    p.write('V2__b.sql', 'CREATE TABLE b (x INTEGER);\n');
    await role.grantSelectOnly();
    const asRole = (...args: string[]) => p.run([...args, '--url', role.url, '--log-level', 'warn'], { env: { MIGRATOR_PASSWORD: 'x' } });
    const up = await asRole('doctor');
    expect(up.code, show(up)).toBe(EXIT.notPermitted);
    expect(up.stdout).toMatch(/^ {2}ok {4}privilege {3}USAGE on schema public: granted$/m);
    expect(up.stdout).toMatch(/^ {2}FAIL {2}privilege {3}CREATE on schema public: missing CREATE/m);
    expect(up.stdout).toMatch(/^ {2}FAIL {2}privilege {3}INSERT, UPDATE on public\.migrator_history: missing INSERT, UPDATE/m);
    expect(up.stdout).toMatch(/^ {2}\? {5}disk {8}free space unknown: the data directory is shown only to superusers and members of pg_read_all_settings; database \d/m);
    expect(up.stdout).toMatch(/^ {2}ok {4}pending {5}1 pending: 2$/m);
    expect(up.stderr).toMatch(/^error\[E_PRIVILEGE\]: \d pre-flight checks failed for "up" on PostgreSQL .*: privilege CREATE on schema public; privilege INSERT, UPDATE on public\.migrator_meta; /m);
    const status = await asRole('doctor', '--for', 'status', '--json');
    expect(status.code, show(status)).toBe(EXIT.ok);
    expect(jsonDoc<DoctorDoc>(status.stdout).checks.filter((c) => c.name === 'privilege').map((c) => `${c.subject ?? ''}: ${c.status}`)).toEqual([
      'USAGE on schema public: ok', 'SELECT on public.migrator_meta: ok', 'SELECT on public.migrator_history: ok',
    ]);
    // As the superuser, the data directory is local and readable: free space is known.
    const admin = await p.run(['doctor', '--url', target.url]);
    expect(admin.code, show(admin)).toBe(EXIT.ok);
    expect(admin.stdout).toMatch(/^ {2}(?:ok {4}|WARN {2})disk {8}\S+ \S+ free of .* at \/\S+; database \d/m);
  });

  it.skipIf(postgres.skip !== undefined)(`PostgreSQL: the advisory lock held by a running up shows as held, with its holder${postgres.skip ? ` (skipped: ${postgres.skip})` : ''}`, async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    const target = await createTarget(postgres, p, 'doctor lock', { onTestFinished });
    p.write('V1__slow.sql', 'SELECT pg_sleep(4);\n');
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const up = p.start(['up', '--url', target.url], { onStderr: (text) => { if (text.includes('"msg":"run started"')) started(); } });
    await running;
    const doctor = await p.run(['doctor', '--url', target.url]);
    expect(doctor.code, show(doctor)).toBe(EXIT.ok);
    expect(doctor.stdout).toMatch(/^ {2}WARN {2}lock {8}held by .*pid \d+.*run [0-9a-f-]{36} \(/m);
    expect((await up.result).code).toBe(EXIT.ok);
  });

  it.skipIf(mysql.skip !== undefined)(`MariaDB: a user without CREATE and INSERT fails for up (exit 9), passes for status${mysql.skip ? ` (skipped: ${mysql.skip})` : ''}`, async ({ expect, onTestFinished }) => {
    if (mysql.server === undefined) throw new Error('no MySQL server');
    const server = mysql.server;
    const p = new Project({ onTestFinished });
    const target = await createTarget(mysql, p, 'doctor user', { onTestFinished });
    const user = `mt_doc_${randomBytes(4).toString('hex')}`;
    await admin(server, `CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
    onTestFinished(() => admin(server, `DROP USER IF EXISTS '${user}'@'%'`));
    await admin(server, `GRANT SELECT ON \`${target.name}\`.* TO '${user}'@'%'`);
    p.write('V1__a.sql', V1);
    const url = new URL(target.url);
    url.username = user;
    url.password = 'pw';
    const up = await p.run(['doctor', '--url', url.toString(), '--log-level', 'warn']);
    expect(up.code, show(up)).toBe(EXIT.notPermitted);
    expect(up.stdout).toMatch(new RegExp(`^ {2}FAIL {2}privilege {3}CREATE on database ${target.name}: missing CREATE`, 'm'));
    expect(up.stdout).toMatch(new RegExp(`^ {2}FAIL {2}privilege {3}SELECT, INSERT, UPDATE on ${target.name}\\.migrator_history: missing INSERT, UPDATE`, 'm'));
    expect(up.stdout).toContain(`GRANT INSERT, UPDATE ON \`${target.name}\`.* TO '${user}'@'%'`);
    expect(up.stderr).toMatch(/^error\[E_PRIVILEGE\]: /m);
    expect(up.stdout + up.stderr).not.toContain('PASSWORD');
    const status = await p.run(['doctor', '--for', 'status', '--url', url.toString(), '--log-level', 'warn']);
    expect(status.code, show(status)).toBe(EXIT.ok);
    expect(await metadataTables(target, p)).toEqual([]);
  });

  it('a server that cannot be reached: exit 4, the connection check failing', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    const result = await p.run(['doctor', '--url', 'postgres://nobody@127.0.0.1:1/nothing', '--json']);
    expect(result.code, show(result)).toBe(EXIT.connect);
    expect(jsonDoc<DoctorDoc>(result.stdout)).toMatchObject({ ok: false, checks: [{ name: 'connection', status: 'fail', code: 'E_CONNECT' }] });
    expect(result.stderr).toMatch(/^error\[E_CONNECT\]: /m);
  });
});
