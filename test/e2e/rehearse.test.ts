/**
 * `migrate validate --rehearse` through the CLI on every engine: the pending migrations run on a
 * throwaway target (a temporary copy of the SQLite file, a transaction rolled back on PostgreSQL,
 * an empty scratch database wherever one is given, and only that on MySQL), each pending down is
 * checked by up -> down -> up, and the real database is left exactly as it was. A broken down, a
 * failing up or a down that fails exits 5 (E_REHEARSAL) naming the version, file and object. A
 * scratch database that is the real one, however addressed, or of another engine is refused (exit 2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { admin, createDatabase } from '../support/databases.js';
import { createTarget, engineCases, type EngineCase, type Target } from './engines/support.js';
import { metadataTables, missingDumpTool, snapshot } from './gate-support.js';
import { EXIT, Project, STACK_FRAME, jsonDoc, logLines, slowStatement, type Cleanup, type CliResult } from './helpers.js';

const cases = await engineCases(['sqlite', 'postgres', 'mysql']);

interface Problem {
  readonly code: string;
  readonly message: string;
  readonly at?: { readonly file: string; readonly line?: number };
  readonly details?: { readonly version?: string };
}

/** `validate --rehearse --json` as the tests read it. */
interface RehearseDoc {
  readonly ok: boolean;
  readonly problems: ReadonlyArray<Problem>;
  readonly rehearsal: {
    readonly where: string;
    readonly applied: ReadonlyArray<string>;
    readonly roundTrips: ReadonlyArray<string>;
    readonly withoutDown: ReadonlyArray<string>;
    readonly skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
    readonly problems: ReadonlyArray<Problem>;
  } | null;
}

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

/** A clean set: data, an index, a column added and dropped again, and one migration without a down. */
const CLEAN: Readonly<Record<string, string>> = {
  'V1__a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER);\nINSERT INTO a (id, n) VALUES (1, 10), (2, 20);\n-- migrate:down\nDROP TABLE a;\n',
  'V2__b.sql': '-- migrate:up\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);\nCREATE INDEX b_a ON b (a_id);\nINSERT INTO b (id, a_id) VALUES (1, 1);\n-- migrate:down\nDROP TABLE b;\n',
  'V3__note.sql': "-- migrate:up\nALTER TABLE a ADD COLUMN note VARCHAR(20);\nINSERT INTO a (id, n, note) VALUES (3, 30, 'x');\n-- migrate:down\nDELETE FROM a WHERE id = 3;\nALTER TABLE a DROP COLUMN note;\n",
  'V4__c.sql': 'CREATE TABLE c (id INTEGER);\n',
};

/** Pending version 2 on top of an applied `CLEAN` V1, broken one way each. */
interface BrokenCase {
  readonly name: string;
  readonly file: string;
  /** What stderr and the JSON problem must name. */
  readonly names: ReadonlyArray<string | RegExp>;
}

const BROKEN: ReadonlyArray<BrokenCase> = [
  {
    name: 'the down forgets an index',
    file: '-- migrate:up\nCREATE TABLE c (id INTEGER);\nCREATE INDEX a_n ON a (n);\n-- migrate:down\nDROP TABLE c;\n',
    names: ['the down of 2 does not restore the schema', 'migrations/V2__c.sql', /\+ [^\n]*a_n/],
  },
  {
    name: 'the down forgets a column',
    file: '-- migrate:up\nCREATE TABLE c (id INTEGER);\nALTER TABLE a ADD COLUMN extra INTEGER;\n-- migrate:down\nDROP TABLE c;\n',
    names: ['the down of 2 does not restore the schema', 'migrations/V2__c.sql', /\+ [^\n]*extra/],
  },
  {
    name: 'the up fails on line 4',
    file: '-- migrate:up\nCREATE TABLE c (id INTEGER);\n\nINSERT INTO no_such_table (id) VALUES (1);\n-- migrate:down\nDROP TABLE c;\n',
    names: ['2 (migrations/V2__c.sql) failed', /migrations\/V2__c\.sql:4:\d+/, 'no_such_table'],
  },
  {
    name: 'the down fails on line 4',
    file: '-- migrate:up\nCREATE TABLE c (id INTEGER);\n-- migrate:down\nDROP TABLE no_such_table;\n',
    names: ['the down of 2 (migrations/V2__c.sql) failed', /migrations\/V2__c\.sql:4:\d+/, 'no_such_table'],
  },
];

/** The CLI in the project against the target, logs limited to warnings. */
type Cli = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string | undefined>>) => Promise<CliResult>;

interface Setup {
  readonly project: Project;
  readonly target: Target;
  readonly cli: Cli;
  /**
   * A private TMPDIR for the CLI (SQLite copies go there): it must be empty after every run. Under
   * the project directory, so a leftover also shows in the SQLite snapshot's file listing.
   */
  readonly tmp: string;
  /** Arguments that make `validate --rehearse` work on this engine: a fresh scratch database on MySQL. */
  rehearse(): Promise<string[]>;
  /**
   * The real database as a comparable text: the CI gate's snapshot (SQLite bytes and files,
   * pg_dump --schema-only, row counts and every sequence's value, migrator_audit_id_seq included;
   * mariadb-dump and row counts).
   */
  snapshot(): Promise<string>;
}

async function setUp(engineCase: EngineCase, label: string, cleanup: Cleanup): Promise<Setup> {
  const project = new Project(cleanup);
  const target = await createTarget(engineCase, project, label, cleanup);
  const tmp = path.join(project.dir, 'tmp');
  fs.mkdirSync(tmp);
  const cli: Cli = (args, env = {}) => project.run([...args, '--url', target.url, '--log-level', 'warn'], { env: { TMPDIR: tmp, ...env }, timeoutMs: 60_000 });
  return {
    project, target, cli, tmp,
    rehearse: async () => (engineCase.engine === 'mysql' ? ['--rehearse', '--scratch-url', await scratchDatabase(engineCase, cleanup)] : ['--rehearse']),
    snapshot: () => snapshot(target, project),
  };
}

/** A fresh, empty database on the engine's server for one rehearsal, dropped when the test finishes. */
async function scratchDatabase(engineCase: EngineCase, cleanup: Cleanup): Promise<string> {
  if (engineCase.server === undefined) throw new Error(`${engineCase.engine}: no server for a scratch database`);
  const database = await createDatabase(engineCase.server, 'scratch');
  cleanup.onTestFinished(() => database.drop());
  return database.url;
}

function writeAll(project: Project, files: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(files)) project.write(name, text);
}

async function expectExit(cli: Cli, code: number, args: ReadonlyArray<string>, env?: Readonly<Record<string, string | undefined>>): Promise<CliResult> {
  const result = await cli(args, env);
  if (result.code !== code) throw new Error(`migrate ${args.join(' ')}: expected exit ${code}\n${show(result)}`);
  return result;
}

function skipReason(engineCase: EngineCase): string | undefined {
  const missing = engineCase.skip === undefined ? missingDumpTool(engineCase.engine) : undefined;
  if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`CI=true requires ${engineCase.engine}'s snapshot, but ${missing}`);
  return engineCase.skip ?? missing;
}

const labelOf = (engine: string, skip: string | undefined): string => (skip === undefined ? engine : `${engine} (skipped: ${skip})`);

describe.concurrent('validate --rehearse on every engine', () => {
  for (const engineCase of cases) {
    const skip = skipReason(engineCase);
    // On MySQL the rehearsal replays every migration on the scratch database, from zero.
    const fromZero = engineCase.engine === 'mysql';
    describe.skipIf(skip !== undefined)(labelOf(engineCase.engine, skip), () => {
      it.for([{ state: 'empty' }, { state: 'partly migrated' }])('a clean set exits 0, checks each pending down, and leaves the $state database as it was', { timeout: 120_000 }, async ({ state }, { expect, onTestFinished }) => {
        const { project, target, cli, tmp, rehearse, snapshot: snap } = await setUp(engineCase, `rehearse clean ${state}`, { onTestFinished });
        writeAll(project, CLEAN);
        const partly = state === 'partly migrated';
        if (partly) await expectExit(cli, EXIT.ok, ['up', '--target', '1']);
        const pending = partly ? ['2', '3', '4'] : ['1', '2', '3', '4'];
        const before = await snap();

        const text = await cli(['validate', ...(await rehearse())]);
        expect(text.code, show(text)).toBe(EXIT.ok);
        const applied = fromZero ? 4 : pending.length;
        const downs = pending.length - 1;
        expect(text.stdout).toMatch(new RegExp(`^Rehearsed on .*: ${applied} migrations applied, ${downs} downs checked \\(up -> down -> up\\), no down to check for 4\\.$`, 'm'));
        expect(text.stdout).toMatch(/^OK: 4 migration files valid, /m);
        expect(text.stderr).not.toMatch(/error\[/);
        expect(await snap(), 'validate --rehearse changed the database').toBe(before);

        const json = await cli(['validate', ...(await rehearse()), '--json']);
        expect(json.code, show(json)).toBe(EXIT.ok);
        const doc = jsonDoc<RehearseDoc>(json.stdout);
        expect(doc.ok).toBe(true);
        expect(doc.rehearsal).toMatchObject({
          applied: fromZero ? ['1', '2', '3', '4'] : pending,
          roundTrips: pending.filter((id) => id !== '4'),
          withoutDown: ['4'],
          skipped: [],
          problems: [],
        });
        expect(await snap(), 'validate --rehearse --json changed the database').toBe(before);
        if (!partly) {
          expect(await metadataTables(target, project), 'no metadata table appears').toEqual([]);
          if (engineCase.engine === 'sqlite') expect(project.dbExists(), 'no SQLite file is created').toBe(false);
        }
        if (engineCase.engine === 'sqlite') {
          expect(doc.rehearsal?.where, 'the copy is made in TMPDIR').toContain(`${tmp}${path.sep}migrator-rehearsal-`);
          expect(fs.readdirSync(tmp), 'the temporary copy is deleted').toEqual([]);
        }

        // Control: the real run applies the same set, and the snapshot sees it.
        await expectExit(cli, EXIT.ok, ['up']);
        expect(await snap(), 'a real up must change the snapshot').not.toBe(before);
        const done = jsonDoc<RehearseDoc>((await expectExit(cli, EXIT.ok, ['validate', ...(await rehearse()), '--json'])).stdout);
        expect(done.rehearsal).toMatchObject({ applied: fromZero ? ['1', '2', '3', '4'] : [], roundTrips: [], problems: [] });
      });

      it.for(BROKEN)('$name: exit 5 naming the version, the file and the cause; the database unchanged', { timeout: 120_000 }, async (broken, { expect, onTestFinished }) => {
        const { project, target, cli, tmp, rehearse, snapshot: snap } = await setUp(engineCase, 'rehearse broken', { onTestFinished });
        project.write('V1__a.sql', CLEAN['V1__a.sql'] ?? '');
        await expectExit(cli, EXIT.ok, ['up']);
        project.write('V2__c.sql', broken.file);
        project.write('V3__d.sql', 'CREATE TABLE d (id INTEGER);\n');
        const history = await target.history();
        const before = await snap();

        const text = await cli(['validate', ...(await rehearse())]);
        expect(text.code, show(text)).toBe(EXIT.invalidFiles);
        const block = /^error\[E_REHEARSAL\]: [\s\S]*?^ {2}hint: .*$/m.exec(text.stderr)?.[0];
        expect(block, show(text)).toBeDefined();
        for (const name of broken.names) {
          if (typeof name === 'string') expect(block, `stderr names ${name}`).toContain(name);
          else expect(block, `stderr matches ${String(name)}`).toMatch(name);
        }
        expect(text.stderr).not.toMatch(STACK_FRAME);
        expect(text.stdout).not.toMatch(/^OK: /m);

        const json = await cli(['validate', ...(await rehearse()), '--json']);
        expect(json.code, show(json)).toBe(EXIT.invalidFiles);
        const doc = jsonDoc<RehearseDoc>(json.stdout);
        expect(doc.ok).toBe(false);
        expect(doc.problems.map((p) => p.code)).toEqual(['E_REHEARSAL']);
        const [problem] = doc.rehearsal?.problems ?? [];
        expect(problem).toMatchObject({ code: 'E_REHEARSAL', at: { file: 'migrations/V2__c.sql' }, details: { version: '2' } });
        if (broken.name.includes('line 4')) expect(problem?.at?.line).toBe(4);
        // The rehearsal stops at the first problem: version 3 is never tried.
        expect(doc.rehearsal?.applied).not.toContain('3');

        expect(await target.history(), 'the history did not change').toEqual(history);
        expect(await snap(), 'the failed rehearsal changed the database').toBe(before);
        if (engineCase.engine === 'sqlite') expect(fs.readdirSync(tmp), 'the temporary copy is deleted').toEqual([]);
      });
    });
  }
});

const server = (engine: 'postgres' | 'mysql'): { engineCase: EngineCase | undefined; skip: string | undefined } => {
  const engineCase = cases.find((c) => c.engine === engine);
  return { engineCase, skip: engineCase === undefined ? `${engine} not looked up` : skipReason(engineCase) };
};

const postgres = server('postgres');

describe.concurrent('validate --rehearse on PostgreSQL', () => {
  describe.skipIf(postgres.skip !== undefined)(labelOf('postgres', postgres.skip), () => {
    const pgCase = postgres.engineCase as EngineCase;

    it('in a protected environment, the in-place rehearsal is refused (exit 9) and --scratch-url works', async ({ expect, onTestFinished }) => {
      const { project, cli, snapshot: snap } = await setUp(pgCase, 'rehearse protected', { onTestFinished });
      writeAll(project, CLEAN);
      fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'environments:\n  prod:\n    protected: true\n');
      await expectExit(cli, EXIT.ok, ['up', '--target', '1', '--env', 'prod']);
      const before = await snap();
      const refused = await expectExit(cli, EXIT.notPermitted, ['validate', '--rehearse', '--env', 'prod']);
      expect(refused.stderr).toMatch(/^error\[E_NOT_PERMITTED\]: validate --rehearse would run the pending migrations on PostgreSQL .* itself, inside a transaction rolled back at the end, and prod is a protected environment$/m);
      expect(refused.stderr).toMatch(/hint: Their table locks and sequence changes .*--scratch-url/);
      expect(await snap()).toBe(before);
      const scratch = await expectExit(cli, EXIT.ok, ['validate', '--rehearse', '--env', 'prod', '--scratch-url', await scratchDatabase(pgCase, { onTestFinished })]);
      expect(scratch.stdout).toMatch(/^Rehearsed on the scratch database PostgreSQL /m);
      expect(await snap()).toBe(before);
    });

    it.for([
      { kind: 'CREATE INDEX CONCURRENTLY alone in a file', file: 'CREATE INDEX CONCURRENTLY a_n ON a (n);\n' },
      { kind: '-- migrate:transaction off', file: '-- migrate:transaction off\nCREATE TABLE t3 (id INTEGER);\n' },
    ])('$kind: reported as skipped with the migrations after it (exit 0); a scratch database rehearses them', async ({ file }, { expect, onTestFinished }) => {
      const { project, cli, snapshot: snap } = await setUp(pgCase, 'rehearse skip', { onTestFinished });
      project.write('V1__a.sql', CLEAN['V1__a.sql'] ?? '');
      project.write('V2__b.sql', CLEAN['V2__b.sql'] ?? '');
      project.write('V3__outside.sql', file);
      project.write('V4__d.sql', '-- migrate:up\nCREATE TABLE d (id INTEGER);\n-- migrate:down\nDROP TABLE d;\n');
      await expectExit(cli, EXIT.ok, ['up', '--target', '1']);
      const before = await snap();

      const text = await expectExit(cli, EXIT.ok, ['validate', '--rehearse']);
      expect(text.stdout).toMatch(/^Rehearsed on a transaction rolled back at the end, on PostgreSQL .*: 1 migration applied, 1 down checked/m);
      expect(text.stdout).toMatch(/^Not rehearsed: 3, 4 \(3 runs outside a transaction.*\)\. Use --scratch-url to rehearse them on an empty database\.$/m);

      const doc = jsonDoc<RehearseDoc>((await expectExit(cli, EXIT.ok, ['validate', '--rehearse', '--json'])).stdout);
      expect(doc.ok).toBe(true);
      expect(doc.rehearsal).toMatchObject({ applied: ['2'], roundTrips: ['2'], problems: [] });
      expect(doc.rehearsal?.skipped.map((s) => s.id)).toEqual(['3', '4']);
      expect(doc.rehearsal?.skipped[0]?.reason).toMatch(/^3 runs outside a transaction/);
      expect(doc.rehearsal?.skipped[1]?.reason).toBe('comes after 3, which could not be rehearsed');
      expect(await snap(), 'the rehearsal changed the database').toBe(before);

      // On a scratch database nothing has to be rolled back: every migration is rehearsed.
      const scratch = await scratchDatabase(pgCase, { onTestFinished });
      const full = jsonDoc<RehearseDoc>((await expectExit(cli, EXIT.ok, ['validate', '--rehearse', '--scratch-url', scratch, '--json'])).stdout);
      expect(full.rehearsal).toMatchObject({ applied: ['1', '2', '3', '4'], skipped: [], problems: [] });
      // Version 3 has no down section; 1 is applied on the real database, so only 2 and 4 are checked.
      expect(full.rehearsal).toMatchObject({ roundTrips: ['2', '4'], withoutDown: ['3'] });
      expect(await snap(), 'the scratch rehearsal changed the database').toBe(before);
    });

    it('the rolled-back rehearsal leaves migrator_audit_id_seq where it was (nextval() is not transactional)', async ({ expect, onTestFinished }) => {
      const { project, target, cli, snapshot: snap } = await setUp(pgCase, 'rehearse audit seq', { onTestFinished });
      writeAll(project, { 'V1__a.sql': CLEAN['V1__a.sql'] ?? '', 'V2__b.sql': CLEAN['V2__b.sql'] ?? '', 'V3__note.sql': CLEAN['V3__note.sql'] ?? '' });
      await expectExit(cli, EXIT.ok, ['up', '--target', '1']);
      const sequence = async (): Promise<unknown> => target.rows<{ last_value: string; is_called: boolean }>('SELECT last_value::text AS last_value, is_called FROM migrator_audit_id_seq');
      const seqBefore = await sequence();
      expect(seqBefore, 'the partial up drew audit ids').toEqual([{ last_value: expect.stringMatching(/^[1-9]\d*$/), is_called: true }]);
      const audit = await target.auditEvents();
      const before = await snap();

      for (const json of [[], ['--json']]) {
        const result = await expectExit(cli, EXIT.ok, ['validate', '--rehearse', ...json]);
        if (json.length > 0) expect(jsonDoc<RehearseDoc>(result.stdout).rehearsal).toMatchObject({ applied: ['2', '3'], roundTrips: ['2', '3'], withoutDown: [], skipped: [], problems: [] });
        else expect(result.stdout).toMatch(/^Rehearsed on a transaction rolled back at the end, on PostgreSQL .*: 2 migrations applied, 2 downs checked \(up -> down -> up\)\.$/m);
        expect(await sequence(), 'the rehearsal advanced migrator_audit_id_seq').toEqual(seqBefore);
      }
      expect(await target.auditEvents()).toEqual(audit);
      expect((await target.history()).map((row) => row.version)).toEqual(['1']);
      expect(await snap(), 'the snapshot (sequences included) changed').toBe(before);
    });

    it('an up that gives another schema after its down (the down leaves data the up reads) exits 5', async ({ expect, onTestFinished }) => {
      const { project, cli, snapshot: snap } = await setUp(pgCase, 'rehearse again', { onTestFinished });
      project.write('V1__flag.sql', '-- migrate:up\nCREATE TABLE flag (v INTEGER);\n-- migrate:down\nDROP TABLE flag;\n');
      await expectExit(cli, EXIT.ok, ['up']);
      project.write('V2__branch.sql', [
        '-- migrate:up',
        'DO $$',
        'BEGIN',
        '  IF EXISTS (SELECT 1 FROM flag) THEN CREATE TABLE second_time (id INTEGER);',
        '  ELSE CREATE TABLE first_time (id INTEGER);',
        '  END IF;',
        'END',
        '$$;',
        '-- migrate:down',
        'DROP TABLE IF EXISTS first_time;',
        'DROP TABLE IF EXISTS second_time;',
        'INSERT INTO flag (v) VALUES (1);',
        '',
      ].join('\n'));
      const before = await snap();
      const result = await cli(['validate', '--rehearse']);
      expect(result.code, show(result)).toBe(EXIT.invalidFiles);
      expect(result.stderr).toMatch(/^error\[E_REHEARSAL\]: rehearsal: 2 applied again after its down gives another schema than the first time:$/m);
      expect(result.stderr).toMatch(/^ {4}- .*first_time/m);
      expect(result.stderr).toMatch(/^ {4}\+ .*second_time/m);
      expect(result.stderr).toContain('  at: migrations/V2__branch.sql');
      expect(await snap()).toBe(before);
    });

    it('a password in --scratch-url is never printed, and the process list is warned about; MIGRATOR_SCRATCH_URL too', async ({ expect, onTestFinished }) => {
      const { project, cli, snapshot: snap } = await setUp(pgCase, 'rehearse secret', { onTestFinished });
      writeAll(project, { 'V1__a.sql': CLEAN['V1__a.sql'] ?? '', 'V2__c.sql': BROKEN[0]?.file ?? '' });
      const before = await snap();
      const password = 'Sekr1t-scratch-pw';
      const withPassword = (url: string): string => {
        const parsed = new URL(url);
        parsed.password = password;
        return parsed.toString();
      };
      const argv = withPassword(await scratchDatabase(pgCase, { onTestFinished }));
      for (const json of [false, true]) {
        const result = await cli(['validate', '--rehearse', '--scratch-url', json ? withPassword(await scratchDatabase(pgCase, { onTestFinished })) : argv, ...(json ? ['--json'] : [])]);
        expect(result.code, show(result)).toBe(EXIT.invalidFiles);
        expect(`${result.stdout}${result.stderr}`).not.toContain(password);
        expect(result.stderr).toContain('the down of 2 does not restore the schema');
        const where = json ? jsonDoc<RehearseDoc>(result.stdout).rehearsal?.where : result.stdout;
        expect(where).toMatch(/the scratch database PostgreSQL postgres:\/\/postgres:\*\*\*@/);
        const warning = logLines(result.stderr).find((line) => line.level === 40 && line.msg.includes('--scratch-url'));
        expect(warning?.msg, result.stderr).toMatch(/process list/);
      }
      const fromEnv = await cli(['validate', '--rehearse'], { MIGRATOR_SCRATCH_URL: withPassword(await scratchDatabase(pgCase, { onTestFinished })) });
      expect(fromEnv.code, show(fromEnv)).toBe(EXIT.invalidFiles);
      expect(`${fromEnv.stdout}${fromEnv.stderr}`).not.toContain(password);
      expect(fromEnv.stdout).toMatch(/^Rehearsed on the scratch database PostgreSQL postgres:\/\/postgres:\*\*\*@/m);
      expect(fromEnv.stderr, 'a variable is not in the process list').not.toMatch(/process list/);
      expect(await snap()).toBe(before);
    });
  });
});

const mysql = server('mysql');

describe.concurrent('validate --rehearse on MySQL', () => {
  describe.skipIf(mysql.skip !== undefined)(labelOf('mysql', mysql.skip), () => {
    const myCase = mysql.engineCase as EngineCase;

    it('without a scratch database: refused with exit 2 (E_NOT_SUPPORTED) naming --scratch-url; nothing changed', async ({ expect, onTestFinished }) => {
      const { project, target, cli, snapshot: snap } = await setUp(myCase, 'rehearse refused', { onTestFinished });
      writeAll(project, CLEAN);
      await expectExit(cli, EXIT.ok, ['up', '--target', '1']);
      const before = await snap();
      for (const json of [[], ['--json']]) {
        const result = await cli(['validate', '--rehearse', ...json]);
        expect(result.code, show(result)).toBe(EXIT.usage);
        expect(result.stderr).toMatch(/^error\[E_NOT_SUPPORTED\]: validate --rehearse needs --scratch-url on MySQL: /m);
        expect(result.stderr).toMatch(/^ {2}hint: .*--scratch-url/m);
        expect(result.stderr).not.toMatch(STACK_FRAME);
      }
      expect(await snap()).toBe(before);
      expect((await target.history()).map((row) => row.version)).toEqual(['1']);
    });

    it.for([{ from: 'MIGRATOR_SCRATCH_URL' }, { from: 'rehearsal.scratchUrl in the config file' }])('the scratch database from $from', async ({ from }, { expect, onTestFinished }) => {
      const { project, cli, snapshot: snap } = await setUp(myCase, 'rehearse scratch source', { onTestFinished });
      writeAll(project, CLEAN);
      const scratch = await scratchDatabase(myCase, { onTestFinished });
      const env = from === 'MIGRATOR_SCRATCH_URL' ? { MIGRATOR_SCRATCH_URL: scratch } : {};
      if (from !== 'MIGRATOR_SCRATCH_URL') fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), `rehearsal:\n  scratchUrl: ${scratch}\n`);
      const before = await snap();
      const doc = jsonDoc<RehearseDoc>((await expectExit(cli, EXIT.ok, ['validate', '--rehearse', '--json'], env)).stdout);
      expect(doc.rehearsal?.where).toContain(`the scratch database MySQL ${scratch}`);
      expect(doc.rehearsal).toMatchObject({ applied: ['1', '2', '3', '4'], roundTrips: ['1', '2', '3'], withoutDown: ['4'], problems: [] });
      expect(await snap()).toBe(before);
    });
  });
});

describe.concurrent('validate --rehearse --scratch-url refuses a database that is not empty (exit 2)', () => {
  for (const engine of ['postgres', 'mysql'] as const) {
    const { engineCase, skip } = server(engine);
    describe.skipIf(skip !== undefined)(labelOf(engine, skip), () => {
      it.for([{ holds: 'a table of its own' }, { holds: 'what an earlier rehearsal left' }])('scratch holding $holds', async ({ holds }, { expect, onTestFinished }) => {
        const found = engineCase as EngineCase;
        const { project, cli, snapshot: snap } = await setUp(found, 'rehearse nonempty', { onTestFinished });
        writeAll(project, CLEAN);
        const scratch = await scratchDatabase(found, { onTestFinished });
        if (holds === 'a table of its own') await admin({ engine, url: scratch }, 'CREATE TABLE keep_me (id INTEGER)');
        else await expectExit(cli, EXIT.ok, ['validate', '--rehearse', '--scratch-url', scratch]);
        const before = await snap();
        const result = await cli(['validate', '--rehearse', '--scratch-url', scratch]);
        expect(result.code, show(result)).toBe(EXIT.usage);
        expect(result.stderr).toMatch(/^error\[E_USAGE\]: the scratch database .* is not empty: it holds /m);
        expect(result.stderr).toMatch(holds === 'a table of its own' ? /it holds .*keep_me/ : /it holds migrator metadata tables/);
        expect(result.stderr).not.toMatch(STACK_FRAME);
        expect(await snap(), 'the real database changed').toBe(before);
      });
    });
  }
});

/** The same server database addressed otherwise: `localhost` for `127.0.0.1` (and back), or with a harmless option. */
const ADDRESSINGS: ReadonlyArray<{ readonly as: string; readonly other: (url: string) => string | undefined }> = [
  {
    as: 'localhost vs 127.0.0.1',
    other: (url) => {
      const parsed = new URL(url);
      const swapped = ({ localhost: '127.0.0.1', '127.0.0.1': 'localhost' } as Record<string, string>)[parsed.hostname];
      if (swapped === undefined) return undefined;
      parsed.hostname = swapped;
      return parsed.toString();
    },
  },
  {
    as: 'with and without a TLS option',
    other: (url) => {
      const parsed = new URL(url);
      const [key, value] = parsed.protocol.startsWith('postgres') ? ['sslmode', 'disable'] : ['ssl', 'false'];
      // Plain TCP is what the test servers speak; a URL that already sets TLS is left alone.
      if (parsed.searchParams.has(key)) return undefined;
      parsed.searchParams.set(key, value);
      return parsed.toString();
    },
  },
  {
    // Another schema of the same database is still that database: a migration may name any schema.
    as: 'another search_path (PostgreSQL) of the same database',
    other: (url) => {
      const parsed = new URL(url);
      if (!parsed.protocol.startsWith('postgres')) return undefined;
      parsed.searchParams.set('options', '-csearch_path=scratch');
      return parsed.toString();
    },
  },
];

const SAME_DB = /^error\[E_USAGE\]: the scratch database .* is the database being validated \(.*\): a rehearsal there would migrate it for real$/m;

describe.concurrent('validate --rehearse --scratch-url refuses the database being validated, however addressed (exit 2)', () => {
  const sqlite = cases.find((c) => c.engine === 'sqlite') as EngineCase;
  const files: ReadonlyArray<{ readonly as: string; readonly urls: (project: Project) => readonly [string, string] }> = [
    { as: 'sqlite:./migrator.db twice', urls: () => ['sqlite:./migrator.db', 'sqlite:./migrator.db'] },
    { as: 'sqlite:migrator.db vs sqlite:///<absolute path>', urls: (project) => ['sqlite:migrator.db', `sqlite://${project.dbPath}`] },
  ];
  const states = ['absent', 'an empty file', 'partly migrated'] as const;
  for (const state of states) {
    it.for(files)(`SQLite, the file ${state}: $as; nothing created or changed`, async ({ urls }, { expect, onTestFinished }) => {
      const { project, tmp, snapshot: snap } = await setUp(sqlite, 'same file', { onTestFinished });
      writeAll(project, CLEAN);
      if (state === 'an empty file') fs.writeFileSync(project.dbPath, '');
      if (state === 'partly migrated') expect((await project.run(['up', '--target', '1', '--log-level', 'warn'])).code).toBe(EXIT.ok);
      const before = await snap();
      const [url, scratch] = urls(project);
      const result = await project.run(['validate', '--rehearse', '--url', url, '--scratch-url', scratch, '--log-level', 'warn'], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
      expect(result.code, show(result)).toBe(EXIT.usage);
      expect(result.stderr).toMatch(SAME_DB);
      expect(result.stderr).toMatch(/^ {2}hint: Give --scratch-url another, empty database/m);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.stdout).not.toMatch(/Rehearsed on/);
      expect(project.dbExists(), 'the database file').toBe(state !== 'absent');
      expect(await snap(), 'the database (bytes, files next to it) changed').toBe(before);
      expect(fs.readdirSync(tmp)).toEqual([]);
    });
  }

  for (const engine of ['postgres', 'mysql'] as const) {
    const { engineCase, skip } = server(engine);
    describe.skipIf(skip !== undefined)(labelOf(engine, skip), () => {
      it.for(ADDRESSINGS)('the same fresh empty database, $as: no metadata table appears', async ({ other }, { expect, onTestFinished, skip: skipTest }) => {
        const found = engineCase as EngineCase;
        const { project, target, cli, snapshot: snap } = await setUp(found, 'rehearse same db', { onTestFinished });
        const scratch = other(target.url);
        if (scratch === undefined) return skipTest(`the server's host ${new URL(target.url).hostname} has no known alias`);
        writeAll(project, CLEAN);
        const before = await snap();
        const result = await cli(['validate', '--rehearse', '--scratch-url', scratch]);
        expect(result.code, show(result)).toBe(EXIT.usage);
        expect(result.stderr).toMatch(SAME_DB);
        expect(result.stderr).not.toMatch(STACK_FRAME);
        expect(await metadataTables(target, project), 'the real database was migrated').toEqual([]);
        expect(await snap(), 'the real database changed').toBe(before);
      });
    });
  }

  describe.skipIf(postgres.skip !== undefined)(labelOf('postgres', postgres.skip), () => {
    it('a scratch database of another engine, either way round: refused, nothing created', async ({ expect, onTestFinished }) => {
      const pgCase = postgres.engineCase as EngineCase;
      const { project, tmp, cli, snapshot: snap } = await setUp(sqlite, 'other engine', { onTestFinished });
      writeAll(project, CLEAN);
      const pgScratch = await createTarget(pgCase, project, 'scratch', { onTestFinished });
      const before = await snap();
      const onPg = await cli(['validate', '--rehearse', '--scratch-url', pgScratch.url]);
      expect(onPg.code, show(onPg)).toBe(EXIT.usage);
      expect(onPg.stderr).toMatch(/^error\[E_USAGE\]: the scratch database PostgreSQL postgres:\/\/.* is PostgreSQL, but the migrations are for SQLite \(SQLite sqlite:\.\/migrator\.db\)$/m);
      expect(onPg.stderr).not.toMatch(STACK_FRAME);
      expect(project.dbExists()).toBe(false);
      expect(await snap()).toBe(before);
      expect(fs.readdirSync(tmp)).toEqual([]);
      const tables = await pgScratch.rows("SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
      expect(tables, 'the PostgreSQL scratch database was used').toEqual([]);

      // And the other way round: a PostgreSQL database, a SQLite scratch file that must not appear.
      const pgTarget = await setUp(pgCase, 'other engine pg', { onTestFinished });
      writeAll(pgTarget.project, CLEAN);
      const pgBefore = await pgTarget.snapshot();
      const onSqlite = await pgTarget.cli(['validate', '--rehearse', '--scratch-url', 'sqlite:./scratch.db']);
      expect(onSqlite.code, show(onSqlite)).toBe(EXIT.usage);
      expect(onSqlite.stderr).toMatch(/^error\[E_USAGE\]: the scratch database SQLite sqlite:\.\/scratch\.db is SQLite, but the migrations are for PostgreSQL \(/m);
      expect(fs.existsSync(path.join(pgTarget.project.dir, 'scratch.db')), 'the SQLite scratch file was created').toBe(false);
      expect(await metadataTables(pgTarget.target, pgTarget.project)).toEqual([]);
      expect(await pgTarget.snapshot()).toBe(pgBefore);
    });
  });
});

describe.concurrent('validate --rehearse on SQLite', () => {
  const sqlite = cases.find((c) => c.engine === 'sqlite') as EngineCase;

  it('--scratch-url without --rehearse is a usage error (exit 2)', async ({ expect, onTestFinished }) => {
    const { project, cli } = await setUp(sqlite, 'scratch alone', { onTestFinished });
    writeAll(project, CLEAN);
    const result = await cli(['validate', '--scratch-url', 'sqlite:./scratch.db']);
    expect(result.code, show(result)).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^error\[E_USAGE\]: --scratch-url needs --rehearse/m);
    expect(project.dbExists()).toBe(false);
    expect(fs.existsSync(path.join(project.dir, 'scratch.db'))).toBe(false);
  });

  it('a SQLite scratch file replays every migration from zero and finds the broken down', async ({ expect, onTestFinished }) => {
    const { project, cli, snapshot: snap } = await setUp(sqlite, 'scratch sqlite', { onTestFinished });
    project.write('V1__a.sql', CLEAN['V1__a.sql'] ?? '');
    await expectExit(cli, EXIT.ok, ['up']);
    project.write('V2__c.sql', BROKEN[0]?.file ?? '');
    // Outside the project directory, whose file listing is part of the snapshot.
    const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-e2e-scratch-'));
    onTestFinished(() => fs.rmSync(scratchDir, { recursive: true, force: true }));
    const scratch = `sqlite://${path.join(scratchDir, 'scratch.db')}`;
    const before = await snap();
    const result = await cli(['validate', '--rehearse', '--scratch-url', scratch, '--json']);
    expect(result.code, show(result)).toBe(EXIT.invalidFiles);
    const doc = jsonDoc<RehearseDoc>(result.stdout);
    expect(doc.rehearsal?.where).toBe(`the scratch database SQLite ${scratch}, replaying every migration from zero`);
    expect(doc.rehearsal).toMatchObject({ applied: ['1', '2'], roundTrips: [] });
    expect(doc.rehearsal?.problems[0]?.message).toMatch(/the down of 2 does not restore the schema[\s\S]*\+ .*a_n/);
    expect(await snap()).toBe(before);
  });

  it('SIGINT during a rehearsal: exit 130, the temporary copy deleted, the database untouched', async ({ expect, onTestFinished }) => {
    const { project, target, tmp, cli, snapshot: snap } = await setUp(sqlite, 'rehearse interrupted', { onTestFinished });
    project.write('V1__a.sql', CLEAN['V1__a.sql'] ?? '');
    await expectExit(cli, EXIT.ok, ['up']);
    project.write('V2__slow.sql', ['CREATE TABLE slow (x INTEGER);', ...Array.from({ length: 8 }, () => slowStatement(1_000_000)), ''].join('\n'));
    const before = await snap();
    let copiesAtSignal: string[] | undefined;
    const running = project.start(['validate', '--rehearse', '--url', target.url, '--log-level', 'debug'], {
      env: { TMPDIR: tmp },
      timeoutMs: 60_000,
      onStderr: (stderr, child) => {
        // The copy is open and locked: the rehearsal has begun.
        if (copiesAtSignal === undefined && logLines(stderr).some((line) => line['rehearsal'] === true && line['event'] === 'lock.acquired')) {
          copiesAtSignal = fs.readdirSync(tmp);
          child.kill('SIGINT');
        }
      },
    });
    const result = await running.result;
    expect(copiesAtSignal, 'the rehearsal never started').toBeDefined();
    expect(copiesAtSignal?.filter((name) => name.startsWith('migrator-rehearsal-')), 'a copy existed when the signal was sent').toHaveLength(1);
    expect(result.code, show(result)).toBe(EXIT.interrupted);
    expect(result.stderr).toMatch(/^error\[E_INTERRUPTED\]: /m);
    expect(fs.readdirSync(tmp), 'the temporary copy is deleted').toEqual([]);
    expect(await snap()).toBe(before);
  });

  // The other tests give the CLI a private TMPDIR and find it empty after each run. This one uses the
  // real one and checks the very directories the runs report: a listing of the shared /tmp would also
  // see the copies of rehearsals other test files run at the same time.
  it('leaves no /tmp/migrator-rehearsal-* directory behind, whatever the outcome', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const cli = (...args: string[]): Promise<CliResult> => project.run([...args, '--log-level', 'warn']);
    const copies: string[] = [];
    const rehearse = async (code: number): Promise<void> => {
      const result = await cli('validate', '--rehearse', '--json');
      expect(result.code, show(result)).toBe(code);
      const where = jsonDoc<RehearseDoc>(result.stdout).rehearsal?.where ?? '';
      const copy = /^a temporary copy \((.+)\)$/.exec(where)?.[1];
      expect(copy, where).toMatch(new RegExp(`^${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/migrator-rehearsal-[^/]+/rehearsal\\.db$`));
      copies.push(path.dirname(copy ?? ''));
    };
    writeAll(project, CLEAN);
    await rehearse(EXIT.ok); // no database file yet
    await expectExit((args) => cli(...args), EXIT.ok, ['up', '--target', '2']);
    await rehearse(EXIT.ok); // a copy of a real file
    project.write('V5__c.sql', BROKEN[0]?.file.replaceAll('TABLE c', 'TABLE e') ?? '');
    await rehearse(EXIT.invalidFiles); // a broken down
    project.write('V5__c.sql', BROKEN[3]?.file.replaceAll('TABLE c', 'TABLE e') ?? '');
    await rehearse(EXIT.invalidFiles); // a down that fails
    expect(new Set(copies).size, 'each run makes its own copy').toBe(4);
    for (const dir of copies) expect(fs.existsSync(dir), `${dir} is left behind`).toBe(false);
  });
});
