/**
 * Live-schema drift (docs/drift.md), through the CLI on every engine: `up` records the schema,
 * `verify` finds it unchanged, a change made by hand (a column added, an index created, a table
 * dropped) makes `verify` and `validate` exit 6 naming the objects, in text and in --json, and
 * `verify --accept` (audited) makes it the recorded schema. The record follows the tool's own
 * changes: later `up` and `down` runs keep verify at 0.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createTarget, engineCases, type EngineCase, type Target } from './engines/support.js';
import { EXIT, Project, dbState, jsonDoc, unexpectedStderr, type Cleanup, type CliResult } from './helpers.js';

const cases = await engineCases(['sqlite', 'postgres', 'mysql']);

/** `migrate verify --json` as the tests read it. */
interface VerifyDoc {
  readonly ok: boolean;
  readonly target: string;
  readonly recorded: { readonly at: string; readonly runId: string; readonly version: string | null; readonly fingerprint: string } | null;
  readonly drift: { readonly added: ReadonlyArray<string>; readonly removed: ReadonlyArray<string> } | null;
  readonly notes: ReadonlyArray<string>;
}

interface ValidateDoc {
  readonly ok: boolean;
  readonly problems: ReadonlyArray<{ readonly code: string; readonly message: string }>;
  readonly drift: VerifyDoc['drift'];
}

type Cli = (...args: string[]) => Promise<CliResult>;

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

async function expectExit(cli: Cli, code: number, ...args: string[]): Promise<CliResult> {
  const result = await cli(...args);
  if (result.code !== code) throw new Error(`migrate ${args.join(' ')}: expected exit ${code}\n${show(result)}`);
  return result;
}

interface World {
  readonly project: Project;
  readonly target: Target;
  readonly cli: Cli;
  /** Runs DDL on the database behind migrator's back. */
  byHand(sql: string): Promise<void>;
}

async function world(engineCase: EngineCase, cleanup: Cleanup): Promise<World> {
  const project = new Project(cleanup);
  const target = await createTarget(engineCase, project, 'drift', cleanup);
  return {
    project,
    target,
    cli: (...args) => project.run([...args, '--url', target.url, '--log-level', 'warn']),
    async byHand(sql) {
      if (target.engine !== 'sqlite') {
        await target.rows(sql);
        return;
      }
      const db = new Database(project.dbPath);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
}

const V1 = '-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20));\nCREATE TABLE u (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE u;\nDROP TABLE t;\n';
const V2 = '-- migrate:up\nCREATE TABLE w (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE w;\n';

const added = (doc: VerifyDoc | ValidateDoc): ReadonlyArray<string> => doc.drift?.added ?? [];
const removed = (doc: VerifyDoc | ValidateDoc): ReadonlyArray<string> => doc.drift?.removed ?? [];

describe.each(cases)('schema drift on $engine', (engineCase) => {
  it.skipIf(engineCase.skip !== undefined)('verify passes after up, reports changes made by hand with exit 6 and a diff, and --accept ends the drift', async (context) => {
    const { project, target, cli, byHand } = await world(engineCase, context);
    project.write('V1__t.sql', V1);
    await expectExit(cli, EXIT.ok, 'up');

    const clean = await expectExit(cli, EXIT.ok, 'verify');
    expect(clean.stdout).toMatch(/^OK: the schema of .* matches the snapshot recorded at \S+ by run \S+ \(version 1\)/m);
    expect(unexpectedStderr(clean.stderr)).toEqual([]);
    const cleanDoc = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);
    expect(cleanDoc).toMatchObject({ ok: true, drift: { added: [], removed: [] }, recorded: { version: '1' } });
    await expectExit(cli, EXIT.ok, 'validate');

    await byHand('ALTER TABLE t ADD COLUMN extra INTEGER');
    await byHand('CREATE INDEX t_by_hand ON t (name)');
    await byHand('DROP TABLE u');

    const drifted = await expectExit(cli, EXIT.stateDisagrees, 'verify');
    expect(drifted.stdout).toMatch(/^Schema drift on .*: \d+ lines differ from the snapshot recorded at /m);
    expect(drifted.stdout).toMatch(/^ {2}\+ .*\bextra\b/m);
    expect(drifted.stdout).toMatch(/^ {2}\+ .*\bt_by_hand\b/m);
    expect(drifted.stdout).toMatch(/^ {2}- .*\bu\b/m);
    expect(drifted.stderr).toMatch(/^error\[E_SCHEMA_DRIFT\]: the schema of .* changed outside migrator since /m);
    expect(drifted.stderr).toContain('migrate verify --accept');
    expect(unexpectedStderr(drifted.stderr)).toEqual([]);

    const doc = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.stateDisagrees, 'verify', '--json')).stdout);
    expect(doc.ok).toBe(false);
    expect(doc.recorded).toMatchObject({ version: '1', runId: cleanDoc.recorded?.runId });
    expect(added(doc).some((line) => /\bextra\b/.test(line))).toBe(true);
    expect(added(doc).some((line) => line.includes('t_by_hand'))).toBe(true);
    expect(removed(doc).some((line) => /\bu\b/.test(line))).toBe(true);

    const gate = await expectExit(cli, EXIT.stateDisagrees, 'validate');
    expect(gate.stderr).toMatch(/^error\[E_SCHEMA_DRIFT\]: .*changed outside migrator.* lines differ/m);
    const gateDoc = jsonDoc<ValidateDoc>((await expectExit(cli, EXIT.stateDisagrees, 'validate', '--json')).stdout);
    expect(gateDoc.ok).toBe(false);
    expect(gateDoc.problems.map((p) => p.code)).toEqual(['E_SCHEMA_DRIFT']);
    expect(gateDoc.drift).toEqual(doc.drift);

    const accepted = await expectExit(cli, EXIT.ok, 'verify', '--accept');
    expect(accepted.stdout).toMatch(/^Accepted the schema of .* as it is \(\d+ lines recorded, audited\), replacing the snapshot of /m);
    expect(accepted.stdout).toMatch(/^ {2}\+ .*\bextra\b/m);
    const audit = await target.auditEvents();
    expect(audit.at(-1)).toMatchObject({ event: 'schema.accepted', version: '1' });
    const detail = (await target.rows<{ detail: string }>("SELECT detail FROM migrator_audit WHERE event = 'schema.accepted'"))[0]?.detail ?? '{}';
    expect(JSON.parse(detail)).toMatchObject({ added: added(doc).length, removed: removed(doc).length });

    await expectExit(cli, EXIT.ok, 'verify');
    await expectExit(cli, EXIT.ok, 'validate');
    const again = await expectExit(cli, EXIT.ok, 'verify', '--accept');
    expect(again.stdout).toMatch(/^Nothing to accept/m);
    expect((await target.auditEvents()).filter((e) => e.event === 'schema.accepted')).toHaveLength(1);
  }, 120_000);

  it.skipIf(engineCase.skip !== undefined)("the record follows the tool's own changes: later up and down keep verify at 0", async (context) => {
    const { project, cli } = await world(engineCase, context);
    project.write('V1__t.sql', V1);
    await expectExit(cli, EXIT.ok, 'up');
    const first = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);

    project.write('V2__w.sql', V2);
    await expectExit(cli, EXIT.ok, 'up');
    const afterUp = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);
    expect(afterUp.recorded).toMatchObject({ version: '2' });
    expect(afterUp.recorded?.runId).not.toBe(first.recorded?.runId);
    expect(afterUp.recorded?.fingerprint).not.toBe(first.recorded?.fingerprint);

    await expectExit(cli, EXIT.ok, 'down');
    const afterDown = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);
    expect(afterDown.recorded).toMatchObject({ version: '1', fingerprint: first.recorded?.fingerprint });
    await expectExit(cli, EXIT.ok, 'validate');
  }, 60_000);

  it.skipIf(engineCase.skip !== undefined)('without a recorded snapshot verify passes with a note, and --accept records the first one', async (context) => {
    const { cli, byHand } = await world(engineCase, context);
    await byHand('CREATE TABLE legacy (id INTEGER PRIMARY KEY)');
    const none = await expectExit(cli, EXIT.ok, 'verify');
    expect(none.stdout).toMatch(/^Nothing to compare: no schema snapshot recorded/m);
    expect(none.stdout).toMatch(/^Note: No schema snapshot is recorded/m);
    const doc = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);
    expect(doc).toMatchObject({ ok: true, recorded: null, drift: null });

    await expectExit(cli, EXIT.ok, 'verify', '--accept');
    const recorded = jsonDoc<VerifyDoc>((await expectExit(cli, EXIT.ok, 'verify', '--json')).stdout);
    expect(recorded).toMatchObject({ ok: true, recorded: { version: null }, drift: { added: [], removed: [] } });
    await byHand('DROP TABLE legacy');
    await expectExit(cli, EXIT.stateDisagrees, 'verify');
  }, 60_000);
});

describe('verify --accept is guarded as repair is', () => {
  it('is refused to a reader (exit 9), needs --confirm in a protected environment, and plain verify needs only a reader', async (context) => {
    const project = new Project(context);
    project.write('V1__t.sql', V1);
    writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'roles:\n  admin: [alice]\n  reader: ["*"]\nenvironments:\n  prod:\n    protected: true\n');
    await expectExit((...args) => project.run(args), EXIT.ok, 'up', '--env', 'prod', '--actor', 'alice');
    const before = dbState(project.dbPath);

    const reader = await project.run(['verify', '--accept', '--env', 'prod', '--actor', 'bob']);
    expect(reader.code, show(reader)).toBe(EXIT.notPermitted);
    expect(reader.stderr).toMatch(/^error\[E_NOT_PERMITTED\]: bob may not run "repair" in prod: it needs the admin role/m);
    const unconfirmed = await project.run(['verify', '--accept', '--env', 'prod', '--actor', 'alice']);
    expect(unconfirmed.code, show(unconfirmed)).toBe(EXIT.notPermitted);
    expect(unconfirmed.stderr).toContain('needs --confirm prod');
    expect((await project.run(['verify', '--env', 'prod', '--actor', 'bob'])).code).toBe(EXIT.ok);
    const after = dbState(project.dbPath);
    expect(after.schema).toEqual(before.schema);
    expect(after.audit.slice(before.audit.length).map((row) => row.event)).toEqual(['access.denied', 'access.denied']);

    const confirmed = await project.run(['verify', '--accept', '--confirm', 'prod', '--reason', 'INC-9 accept hotfix', '--env', 'prod', '--actor', 'alice']);
    expect(confirmed.code, show(confirmed)).toBe(EXIT.ok);
    expect(confirmed.stdout).toMatch(/^Nothing to accept/m);
  });
});

describe('sqlite: drift found by a run before its steps', () => {
  it('is logged as a warning and kept in the run.started audit row, not silently absorbed', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (id INTEGER);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const db = new Database(project.dbPath);
    db.exec('CREATE TABLE by_hand (x INTEGER)');
    db.close();
    project.write('V2__b.sql', 'CREATE TABLE b (id INTEGER);\n');
    const up = await project.run(['up']);
    expect(up.code, show(up)).toBe(EXIT.ok);
    expect(up.stderr).toContain('the schema changed outside migrator since the last recorded snapshot (1 line)');
    project.withDb((check) => {
      const detail = check.prepare("SELECT detail FROM migrator_audit WHERE event = 'run.started' ORDER BY id DESC LIMIT 1").pluck().get() as string;
      expect(JSON.parse(detail).driftBefore).toEqual({ added: ['table by_hand CREATE TABLE by_hand (x INTEGER)'], removed: [], lines: 1 });
      const first = check.prepare("SELECT detail FROM migrator_audit WHERE event = 'run.started' ORDER BY id LIMIT 1").pluck().get() as string;
      expect(JSON.parse(first)).not.toHaveProperty('driftBefore');
    });
    // The new snapshot holds it: verify is clean again, and the audit row is where it went.
    expect((await project.run(['verify'])).code).toBe(EXIT.ok);
  });
});

describe('sqlite: verify --accept on a database that does not exist', () => {
  it('exits 2 naming the target and creates nothing (a mistyped URL does not become a database)', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const before = project.listing();
    const result = await project.run(['verify', '--accept', '--url', 'sqlite:./typo.db']);
    expect(result.code, show(result)).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^error\[E_USAGE\]: nothing to accept: SQLite sqlite:\.\/typo\.db is empty/m);
    expect(project.listing()).toEqual(before);
    const stray = await project.run(['verify', '--confirm', 'prod']);
    expect(stray.code).toBe(EXIT.usage);
    expect(stray.stderr).toContain('--confirm goes with --accept');
  });
});
