/**
 * The audit trail (docs/audit.md) through the CLI on every engine: `migrate audit` lists the runs
 * with filters, `audit verify` passes on the tool's own rows, the database itself refuses UPDATE
 * and DELETE from a plain client, and rows edited, deleted or forged behind the tool's back (the
 * guard disabled or dropped first, as a superuser could) make `audit verify` exit 6 naming the
 * row. Every `up --json` carries the chain head; a run that times out waiting for the lock leaves
 * a `lock.timeout` row without forking the chain.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTarget, engineCases, type Engine, type EngineCase, type Target } from './engines/support.js';
import { EXIT, Project, jsonDoc, logLines, type CliResult } from './helpers.js';

const cases = await engineCases(['sqlite', 'postgres', 'mysql']);

interface AuditRowDoc {
  readonly id: number;
  readonly event: string;
  readonly actor: string;
  readonly version: string | null;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly hash: string;
  readonly detail: Record<string, unknown>;
}
interface AuditDoc {
  readonly ok: boolean;
  readonly auditHead: string;
  readonly rows: ReadonlyArray<AuditRowDoc>;
}
interface VerifyDoc {
  readonly ok: boolean;
  readonly checked: number;
  readonly auditHead: string | null;
  readonly broken: { readonly id: number; readonly kind: string; readonly previousId: number | null } | null;
}

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

function expectExit(result: CliResult, code: number): CliResult {
  if (result.code !== code) throw new Error(`expected exit ${code}\n${show(result)}`);
  return result;
}

/** Statements run as the database's administrator through the plain client, behind migrator's back. */
async function asAdmin(target: Target, project: Project, statements: ReadonlyArray<string>): Promise<void> {
  if (target.engine === 'sqlite') {
    const db = new Database(project.dbPath);
    try {
      for (const sql of statements) db.exec(sql);
    } finally {
      db.close();
    }
  } else if (target.engine === 'postgres') {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  } else {
    const connection = await mysql.createConnection({ uri: target.url });
    try {
      for (const sql of statements) await connection.query(sql);
    } finally {
      await connection.end();
    }
  }
}

/** How an administrator gets round the guard of `operation`: disable (PostgreSQL) or drop the trigger. */
const bypass = (engine: Engine, operation: 'update' | 'delete'): string =>
  engine === 'postgres' ? 'ALTER TABLE migrator_audit DISABLE TRIGGER USER' : `DROP TRIGGER migrator_audit_no_${operation}`;

async function chainRows(target: Target): Promise<Array<{ id: number; hash: string; event: string }>> {
  const rows = await target.rows<{ id: number | string; hash: string; event: string }>('SELECT id, hash, event FROM migrator_audit ORDER BY id');
  return rows.map((row) => ({ id: Number(row.id), hash: row.hash, event: row.event }));
}

function setUp(engineCase: EngineCase, onTestFinished: (fn: () => void) => void) {
  const project = new Project({ onTestFinished });
  for (const n of [1, 2]) {
    project.write(`V${n}__table_${n}.sql`, `CREATE TABLE audited_${n} (id INTEGER);\n`);
    project.write(`U${n}__table_${n}.sql`, `DROP TABLE audited_${n};\n`);
  }
  const cli = async (...args: string[]): Promise<CliResult> => project.run([...args, '--url', (await target).url]);
  const target = createTarget(engineCase, project, `audit ${engineCase.engine}`, { onTestFinished });
  return { project, target, cli };
}

describe('migrate audit', () => {
  for (const engineCase of cases) {
    const { engine } = engineCase;

    it.skipIf(engineCase.skip !== undefined)(`${engine}: lists runs with filters, verifies them, anchors each run's head; the database refuses UPDATE and DELETE`, async ({ onTestFinished }) => {
      const { project, target: pending, cli } = setUp(engineCase, onTestFinished);
      const target = await pending;

      const up = jsonDoc<{ auditHead: string }>(expectExit(await cli('up', '--json', '--actor', 'alice', '--reason', 'TICKET-1 first release'), EXIT.ok).stdout);
      expect(up.auditHead).toBe((await chainRows(target)).at(-1)?.hash);
      const down = jsonDoc<{ auditHead: string }>(expectExit(await cli('down', '--json', '--actor', 'bob'), EXIT.ok).stdout);
      expect(down.auditHead).toBe((await chainRows(target)).at(-1)?.hash);
      const again = jsonDoc<{ auditHead: string }>(expectExit(await cli('up', '--json'), EXIT.ok).stdout);
      expect(again.auditHead).toBe((await chainRows(target)).at(-1)?.hash);
      // Nothing to do: the head as it stands.
      const idle = jsonDoc<{ auditHead: string }>(expectExit(await cli('up', '--json'), EXIT.ok).stdout);
      expect(idle.auditHead).toBe(again.auditHead);

      const all = jsonDoc<AuditDoc>(expectExit(await cli('audit', '--json'), EXIT.ok).stdout);
      expect(all.auditHead).toBe(again.auditHead);
      expect(all.rows.map((row) => `${row.actor} ${row.event} ${row.version ?? ''}`.trim())).toEqual([
        'alice run.started', 'alice migration.applied 1', 'alice migration.applied 2', 'alice run.finished',
        'bob run.started', 'bob migration.reverted 2', 'bob run.finished',
        expect.stringMatching(/ run\.started$/), expect.stringMatching(/ migration\.applied 2$/), expect.stringMatching(/ run\.finished$/),
      ]);
      expect(all.rows[0]?.detail).toMatchObject({ direction: 'up', reason: 'TICKET-1 first release' });
      expect(all.rows.map((row) => row.hash)).toEqual((await chainRows(target)).map((row) => row.hash));

      const events = async (...filter: string[]): Promise<string[]> =>
        jsonDoc<AuditDoc>(expectExit(await cli('audit', '--json', ...filter), EXIT.ok).stdout).rows.map((row) => `${row.id} ${row.event}`);
      const ids = all.rows.map((row) => `${row.id} ${row.event}`);
      expect(await events('--by', 'bob')).toEqual(ids.slice(4, 7));
      // Version 1: its migration row, and the runs that went from or to it.
      expect(await events('--version', 'V1')).toEqual([ids[1], ids[4], ids[6], ids[7], ids[9]]);
      expect(await events('--since', '1h')).toEqual(ids);
      expect(await events('--since', '2999-01-01')).toEqual([]);
      expect(await events('--limit', '2')).toEqual(ids.slice(-2));
      expect(await events('--limit', '0')).toEqual(ids);
      expectExit(await cli('audit', '--since', 'yesterday'), EXIT.usage);

      const table = expectExit(await cli('audit', '--by', 'alice'), EXIT.ok).stdout;
      expect(table).toMatch(/^ID +AT +ACTOR +EVENT +VERSION +FROM -> TO +OUTCOME +DURATION +REASON$/m);
      expect(table).toMatch(/ alice +run\.started +\(none\) -> 2 +info +TICKET-1 first release$/m);

      const verified = jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json', '--anchor', up.auditHead, '--anchor', again.auditHead), EXIT.ok).stdout);
      expect(verified).toMatchObject({ ok: true, checked: 10, auditHead: again.auditHead, broken: null });
      expect(expectExit(await cli('audit', 'verify'), EXIT.ok).stdout).toContain('is intact: 10 rows chain correctly');
      const unknown = expectExit(await cli('audit', 'verify', '--anchor', 'f'.repeat(64)), EXIT.stateDisagrees);
      expect(unknown.stderr).toMatch(/^error\[E_AUDIT_TAMPERED\]: migrator_audit does not contain the recorded head f{64}/m);

      // The database itself refuses, whoever asks: the guard is the table's, not migrator's.
      await expect(asAdmin(target, project, ["UPDATE migrator_audit SET actor = 'mallory'"])).rejects.toThrow(/append-only/);
      await expect(asAdmin(target, project, ['DELETE FROM migrator_audit'])).rejects.toThrow(/append-only/);
      expect((await chainRows(target)).length).toBe(10);
    }, 60_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a row edited behind the tool's back fails verify naming it; the next run restores the guard`, async ({ onTestFinished }) => {
      const { project, target: pending, cli } = setUp(engineCase, onTestFinished);
      const target = await pending;
      expectExit(await cli('up'), EXIT.ok);
      const edited = (await chainRows(target))[1]?.id ?? 0;
      await asAdmin(target, project, [bypass(engine, 'update'), `UPDATE migrator_audit SET detail = '{"forged":true}' WHERE id = ${edited}`]);

      const result = expectExit(await cli('audit', 'verify', '--json'), EXIT.stateDisagrees);
      expect(jsonDoc<VerifyDoc>(result.stdout)).toMatchObject({ ok: false, checked: 1, auditHead: null, broken: { id: edited, kind: 'edited' } });
      expect(result.stderr).toMatch(new RegExp(`^error\\[E_AUDIT_TAMPERED\\]: migrator_audit was tampered with: audit row ${edited} was edited: its hash does not match its content`, 'm'));
      expect(result.stderr).toMatch(/hint: Restore migrator_audit from a backup .*superuser.*cannot repair the chain/);
      expect(expectExit(await cli('audit', 'verify'), EXIT.stateDisagrees).stdout).toContain(`TAMPERED: audit row ${edited} was edited`);

      // A later run puts the guard back (and still runs: verify is the judge, not every deploy).
      project.write('V3__table_3.sql', 'CREATE TABLE audited_3 (id INTEGER);\n');
      expectExit(await cli('up'), EXIT.ok);
      await expect(asAdmin(target, project, ["UPDATE migrator_audit SET actor = 'mallory'"])).rejects.toThrow(/append-only/);
      expect(jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json'), EXIT.stateDisagrees).stdout).broken?.id).toBe(edited);
    }, 60_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a deleted row fails verify naming the row after the gap`, async ({ onTestFinished }) => {
      const { project, target: pending, cli } = setUp(engineCase, onTestFinished);
      const target = await pending;
      expectExit(await cli('up'), EXIT.ok);
      const rows = await chainRows(target);
      const [deleted, after] = [rows[1]?.id ?? 0, rows[2]?.id ?? 0];
      await asAdmin(target, project, [bypass(engine, 'delete'), `DELETE FROM migrator_audit WHERE id = ${deleted}`]);

      const result = expectExit(await cli('audit', 'verify', '--json'), EXIT.stateDisagrees);
      expect(jsonDoc<VerifyDoc>(result.stdout)).toMatchObject({ ok: false, checked: 1, broken: { id: after, kind: 'unlinked', previousId: rows[0]?.id } });
      expect(result.stderr).toContain(`audit row ${after} does not follow row ${rows[0]?.id ?? ''}: a row between them was deleted`);
    }, 60_000);

    it.skipIf(engineCase.skip !== undefined)(`${engine}: a forged row forking the chain is refused by the next run and named by verify`, async ({ onTestFinished }) => {
      const { project, target: pending, cli } = setUp(engineCase, onTestFinished);
      const target = await pending;
      expectExit(await cli('up'), EXIT.ok);
      const rows = await chainRows(target);
      await asAdmin(target, project, [
        engine === 'mysql' ? 'DROP INDEX migrator_audit_prev_hash ON migrator_audit' : 'DROP INDEX migrator_audit_prev_hash',
        `INSERT INTO migrator_audit (run_id, at, actor, host, environment, command, event, outcome, detail, prev_hash, hash)
          SELECT run_id, at, 'mallory', host, environment, command, event, outcome, detail, prev_hash, '${'f'.repeat(64)}' FROM migrator_audit WHERE id = ${rows[1]?.id ?? 0}`,
      ]);
      const forged = (await chainRows(target)).at(-1)?.id ?? 0;

      project.write('V3__table_3.sql', 'CREATE TABLE audited_3 (id INTEGER);\n');
      const refused = expectExit(await cli('up'), EXIT.stateDisagrees);
      expect(refused.stderr).toMatch(new RegExp(`^error\\[E_AUDIT_TAMPERED\\]: migrator_audit rows ${rows[1]?.id ?? ''} and ${forged} both follow .*the audit chain forked`, 'm'));
      expect(await target.tableExists('audited_3')).toBe(false);
      expect(jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json'), EXIT.stateDisagrees).stdout).broken?.id).toBe(forged);
    }, 60_000);

    // SQLite: below, with a lease held elsewhere (a run there writes in one transaction throughout).
    if (engine !== 'sqlite') it.skipIf(engineCase.skip !== undefined)(`${engine}: a run timing out on the lock is audited next to the holder's rows, the chain linear`, async ({ onTestFinished }) => {
      const { project, target: pending, cli } = setUp(engineCase, onTestFinished);
      const target = await pending;
      project.remove('V2__table_2.sql');
      project.remove('U2__table_2.sql');
      // Holds the lock a few seconds inside the migration's transaction, which has no audit row
      // of its own yet: the waiter's row does not wait for it.
      project.write('V1__table_1.sql', `${engine === 'postgres' ? 'SELECT pg_sleep(4);' : 'DO SLEEP(4);'}\nCREATE TABLE audited_1 (id INTEGER);\n`);

      let holding!: () => void;
      const started = new Promise<void>((resolve) => { holding = resolve; });
      const holder = project.start(['up', '--url', target.url, '--actor', 'holder'], {
        timeoutMs: 40_000,
        onStderr: (stderr) => {
          if (logLines(stderr).some((line) => line.msg === 'run started')) holding();
        },
      });
      await Promise.race([started, holder.result.then((result) => { throw new Error(`the holder ended before it held the lock:\n${show(result)}`); })]);
      const waiter = await cli('up', '--lock-timeout', '1s', '--actor', 'waiter');
      expect(waiter.code, show(waiter)).toBe(EXIT.lockTimeout);
      expectExit(await holder.result, EXIT.ok);

      const rows = jsonDoc<AuditDoc>(expectExit(await cli('audit', '--json'), EXIT.ok).stdout).rows;
      expect(rows.map((row) => `${row.actor} ${row.event}`)).toEqual(['holder run.started', 'waiter lock.timeout', 'holder migration.applied', 'holder run.finished']);
      expect(rows[1]?.detail).toMatchObject({ code: 'E_LOCK_TIMEOUT', holder: { pid: holder.child.pid } });
      expect(jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json'), EXIT.ok).stdout)).toMatchObject({ ok: true, checked: 4 });
    }, 60_000);
  }

  it('sqlite: a run timing out on a lease held elsewhere is audited', async ({ onTestFinished }) => {
    const { project, target: pending, cli } = setUp({ engine: 'sqlite', server: undefined, skip: undefined }, onTestFinished);
    await pending;
    project.remove('V2__table_2.sql');
    project.remove('U2__table_2.sql');
    expectExit(await cli('up', '--actor', 'holder'), EXIT.ok);
    // A run on another host holds the lease (its process cannot be checked from here): as
    // test/e2e/unlock.test.ts writes one. It is not writing, so the waiter's row goes in at once.
    const db = new Database(project.dbPath);
    const now = Date.now();
    db.prepare(`UPDATE migrator_lock SET run_id = 'remote-run', actor = 'holder', host = 'ci-runner-7', pid = 4242, pid_scope = 'elsewhere',
      acquired_at = ?, heartbeat_at = ?, expires_at = ?, generation = generation + 1 WHERE id = 1`).run(now - 1_000, now, now + 60_000);
    db.close();
    project.write('V2__table_2.sql', 'CREATE TABLE audited_2 (id INTEGER);\n');
    expectExit(await cli('up', '--lock-timeout', '1s', '--actor', 'waiter'), EXIT.lockTimeout);

    const rows = jsonDoc<AuditDoc>(expectExit(await cli('audit', '--json'), EXIT.ok).stdout).rows;
    expect(rows.map((row) => `${row.actor} ${row.event}`)).toEqual(['holder run.started', 'holder migration.applied', 'holder run.finished', 'waiter lock.timeout']);
    expect(rows[3]?.detail).toMatchObject({ code: 'E_LOCK_TIMEOUT', holder: { owner: 'remote-run', host: 'ci-runner-7', pid: 4242 } });
    expect(jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json'), EXIT.ok).stdout)).toMatchObject({ ok: true, checked: 4 });
  });
  it('sqlite: baseline, verify --accept, repair and unlock print the audit head in --json', async ({ onTestFinished }) => {
    const { project, target: pending, cli } = setUp({ engine: 'sqlite', server: undefined, skip: undefined }, onTestFinished);
    const target = await pending;
    const head = async (): Promise<string | undefined> => (await chainRows(target)).at(-1)?.hash;
    const doc = (result: CliResult): { auditHead: string } => jsonDoc<{ auditHead: string }>(expectExit(result, EXIT.ok).stdout);

    expect(doc(await cli('baseline', '--version', '1', '--json')).auditHead).toBe(await head());
    expectExit(await cli('up'), EXIT.ok);
    await asAdmin(target, project, ['CREATE TABLE by_hand (id INTEGER)']);
    expect(doc(await cli('verify', '--accept', '--json')).auditHead).toBe(await head());
    project.write('V2__table_2.sql', 'CREATE TABLE audited_2 (id INTEGER); -- reworded\n');
    expect(doc(await cli('repair', '--json')).auditHead).toBe(await head());
    const now = Date.now();
    await asAdmin(target, project, [`UPDATE migrator_lock SET run_id = 'old-run', actor = 'ghost', host = 'ci-runner-7', pid = 4242, pid_scope = 'elsewhere',
      acquired_at = ${now - 120_000}, heartbeat_at = ${now - 60_000}, expires_at = ${now - 1_000}, generation = generation + 1 WHERE id = 1`]);
    const unlocked = doc(await cli('unlock', '--json'));
    expect(unlocked.auditHead).toBe(await head());
    expect((await chainRows(target)).map((row) => row.event)).toEqual(['baseline', 'run.started', 'migration.applied', 'run.finished', 'schema.accepted', 'repair', 'unlock']);
    expect(jsonDoc<VerifyDoc>(expectExit(await cli('audit', 'verify', '--json', '--anchor', unlocked.auditHead), EXIT.ok).stdout)).toMatchObject({ ok: true, checked: 7 });
  });
});
