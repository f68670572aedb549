/**
 * The CLI as a user drives it: the example set up/down/up, argument handling, dry runs, `create`,
 * and the "is anything pending" gates. Every test has its own temp project, so they run concurrently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import {
  EXIT, Project, REPO_ROOT, appSchema, appliedVersions, audit, history, jsonDoc, metadataTables, unexpectedStderr,
} from './helpers.js';

interface StatusDoc {
  ok: boolean;
  current: string | null;
  pending: number;
  migrations: Array<{ version: string | null; state: string; file: string | null }>;
  problems: Array<{ code: string; message: string }>;
}

interface PlanDoc {
  ok: boolean;
  dryRun: boolean;
  plan: {
    direction: string;
    fromVersion: string | null;
    toVersion: string | null;
    steps: Array<{ version: string; action: string; file: string; statements: Array<{ line: number; sql: string }> }>;
  };
}

/** Versions of the `V<version>__*.sql` files in a listing, as the CLI prints them, in numeric order. */
function versionsOf(files: ReadonlyArray<string>): string[] {
  return files
    .map((file) => /^V(\d+(?:[._]\d+)*)__.*\.sql$/.exec(file)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort((a, b) => Number(a) - Number(b));
}

function stateByVersion(doc: StatusDoc): Record<string, string> {
  return Object.fromEntries(doc.migrations.map((m) => [m.version ?? '?', m.state]));
}

describe.concurrent('the example migrations', () => {
  it('go up, report applied, revert exactly the last one, and go up again', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const versions = versionsOf(project.copyExamples());
    expect(versions.length).toBeGreaterThan(1);
    const last = versions[versions.length - 1] as string;

    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
    expect(up.stdout).toContain(`Now at version ${last}`);
    expect(unexpectedStderr(up.stderr)).toEqual([]);
    const schemaAfterUp = project.withDb(appSchema);
    expect(project.withDb(appliedVersions)).toEqual(versions);

    const status = await project.run(['status', '--json']);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<StatusDoc>(status.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.pending).toBe(0);
    expect(doc.current).toBe(last);
    expect(stateByVersion(doc)).toEqual(Object.fromEntries(versions.map((v) => [v, 'applied'])));

    const down = await project.run(['down']);
    expect(down.code, down.stderr).toBe(EXIT.ok);
    expect(down.stdout).toMatch(new RegExp(`reverted\\s+${last}\\b`));
    expect(down.stdout).toContain('Reverted 1 migration');
    const schemaAfterDown = project.withDb(appSchema);
    // What the last migration created (its table, view, index or trigger) is gone, nothing else is.
    const removed = schemaAfterUp.filter((object) => !schemaAfterDown.includes(object));
    expect(removed.length).toBeGreaterThan(0);
    expect(schemaAfterDown.every((object) => schemaAfterUp.includes(object))).toBe(true);
    expect(project.withDb(appliedVersions)).toEqual(versions.slice(0, -1));

    const afterDown = jsonDoc<StatusDoc>((await project.run(['status', '--json'])).stdout);
    expect(afterDown.pending).toBe(1);
    expect(stateByVersion(afterDown)).toEqual(Object.fromEntries(versions.map((v) => [v, v === last ? 'pending' : 'applied'])));

    const again = await project.run(['up']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toMatch(new RegExp(`applied\\s+${last}\\b`));
    expect(again.stdout).toContain('Applied 1 migration');
    expect(project.withDb(appSchema)).toEqual(schemaAfterUp);
    expect(project.withDb(appliedVersions)).toEqual(versions);
    const events = project.withDb(audit).map((row) => `${row.event} ${row.version ?? ''}`.trim());
    expect(events.filter((event) => event === `migration.applied ${last}`)).toHaveLength(2);
    expect(events.filter((event) => event === `migration.reverted ${last}`)).toHaveLength(1);
  });

  it('has nothing to do the second time: exit 0 and "Already up to date"', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.copyExamples();
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const before = project.withDb(history);

    const second = await project.run(['up']);
    expect(second.code, second.stderr).toBe(EXIT.ok);
    expect(second.stdout).toContain('Already up to date');
    expect(second.stderr).not.toContain('error[');
    expect(project.withDb(history)).toEqual(before);
  });
});

describe.concurrent('arguments', () => {
  it('rejects an unknown option with exit 2 and error[E_USAGE], touching nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    for (const args of [['up', '--bogus'], ['--bogus', 'status']]) {
      const result = await project.run(args);
      expect(result.code, args.join(' ')).toBe(EXIT.usage);
      expect(result.stderr).toMatch(/^error\[E_USAGE\]: .*--bogus/m);
      expect(result.stdout).toBe('');
    }
    expect(project.dbExists()).toBe(false);
  });

  it('answers an unknown option under --json with one JSON error document on stdout', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['up', '--json', '--bogus']);
    expect(result.code).toBe(EXIT.usage);
    expect(jsonDoc(result.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE', message: expect.stringContaining('--bogus') } });
  });

  it('prints its version with --version and -V, and leaves "down --version <v>" to down', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await project.run([flag]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout.trim()).toBe(pkg.version);
    }
    project.write('V1__a.sql', '-- migrate:up\nCREATE TABLE a (x);\n-- migrate:down\nDROP TABLE a;\n');
    project.write('V2__b.sql', '-- migrate:up\nCREATE TABLE b (x);\n-- migrate:down\nDROP TABLE b;\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const down = await project.run(['down', '--version', '1']);
    expect(down.code, down.stderr).toBe(EXIT.ok);
    project.withDb((db) => {
      expect(appliedVersions(db)).toEqual(['2']);
      expect(appSchema(db)).toEqual(['table b']);
    });
  });

  it('rejects an unknown command with exit 2', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['frobnicate']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^error\[E_USAGE\]: .*frobnicate/m);
    expect(project.dbExists()).toBe(false);
  });

  it('rejects a bad option value with exit 2', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['down', '--steps', 'x']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('error[E_USAGE]');
  });

  it('accepts global options before or after the command', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);

    const after = await project.run(['status', '--json']);
    const before = await project.run(['--json', 'status']);
    expect(after.code).toBe(EXIT.ok);
    expect(before.code).toBe(EXIT.ok);
    const docAfter = jsonDoc<StatusDoc>(after.stdout);
    expect(docAfter.current).toBe('2');
    expect(stateByVersion(docAfter)).toEqual({ 1: 'applied', 2: 'applied' });
    expect(jsonDoc<StatusDoc>(before.stdout)).toEqual(docAfter);

    // --dir and --url after the command, on another directory and database.
    fs.mkdirSync(path.join(project.dir, 'db', 'sql'), { recursive: true });
    fs.writeFileSync(path.join(project.dir, 'db', 'sql', 'V7__other.sql'), 'CREATE TABLE other (x);\n');
    const other = await project.run(['up', '--dir', 'db/sql', '--url', 'sqlite:./db/other.db', '--json']);
    expect(other.code, other.stderr).toBe(EXIT.ok);
    expect(jsonDoc<{ ok: boolean; toVersion: string }>(other.stdout)).toMatchObject({ ok: true, toVersion: '7' });
    expect(project.withDb(appliedVersions, path.join(project.dir, 'db', 'other.db'))).toEqual(['7']);
    expect(project.withDb(appliedVersions)).toEqual(['1', '2']);
  });

  it('uses DATABASE_URL when --url is not given, and --url over it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    const fromEnv = await project.run(['up'], { env: { DATABASE_URL: 'sqlite:./from-env.db' } });
    expect(fromEnv.code, fromEnv.stderr).toBe(EXIT.ok);
    expect(project.withDb(appliedVersions, path.join(project.dir, 'from-env.db'))).toEqual(['1']);
    expect(project.dbExists()).toBe(false);

    const fromFlag = await project.run(['up', '--url', 'sqlite:./from-flag.db'], { env: { DATABASE_URL: 'sqlite:./from-env.db' } });
    expect(fromFlag.code, fromFlag.stderr).toBe(EXIT.ok);
    expect(project.withDb(appliedVersions, path.join(project.dir, 'from-flag.db'))).toEqual(['1']);
  });
});

const V1 = `-- migrate:up
CREATE TABLE users (
  id    INTEGER PRIMARY KEY,
  email TEXT NOT NULL -- ; not the end
);

INSERT INTO users (email) VALUES ('a;b@example.com');

-- migrate:down
DROP TABLE users;
`;
const V1_STATEMENTS = [
  'CREATE TABLE users (\n  id    INTEGER PRIMARY KEY,\n  email TEXT NOT NULL -- ; not the end\n)',
  "INSERT INTO users (email) VALUES ('a;b@example.com')",
];
const V2 = `CREATE TRIGGER users_lower AFTER INSERT ON users
BEGIN
  UPDATE users SET email = lower(email) WHERE id = NEW.id;
END;
`;
const V2_STATEMENTS = [
  'CREATE TRIGGER users_lower AFTER INSERT ON users\nBEGIN\n  UPDATE users SET email = lower(email) WHERE id = NEW.id;\nEND',
];

describe.concurrent('up --dry-run', () => {
  it('on a fresh path prints the exact SQL and creates no file', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', V1);
    project.write('V2__users_lower.sql', V2);
    const before = project.listing();

    const result = await project.run(['up', '--dry-run']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    for (const sql of [...V1_STATEMENTS, ...V2_STATEMENTS]) expect(result.stdout).toContain(sql);
    expect(result.stdout.indexOf(V1_STATEMENTS[0] as string)).toBeLessThan(result.stdout.indexOf(V2_STATEMENTS[0] as string));
    expect(result.stdout).not.toContain('DROP TABLE users');
    expect(project.listing()).toEqual(before);
    expect(project.dbExists()).toBe(false);

    const json = await project.run(['up', '--dry-run', '--json']);
    expect(json.code, json.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<PlanDoc>(json.stdout);
    expect(doc).toMatchObject({ ok: true, dryRun: true, plan: { direction: 'up', fromVersion: null, toVersion: '2' } });
    expect(doc.plan.steps.map((step) => [step.version, step.action, step.file])).toEqual([
      ['1', 'apply', 'migrations/V1__users.sql'],
      ['2', 'apply', 'migrations/V2__users_lower.sql'],
    ]);
    expect(doc.plan.steps.map((step) => step.statements.map((statement) => statement.sql))).toEqual([V1_STATEMENTS, V2_STATEMENTS]);
    expect(doc.plan.steps[0]?.statements.map((statement) => statement.line)).toEqual([2, 7]);
    expect(project.listing()).toEqual(before);
  });

  it('on an existing empty database creates no metadata table and leaves the file as it was', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', V1);
    fs.writeFileSync(project.dbPath, '');
    const before = project.listing();

    for (const args of [['up', '--dry-run'], ['up', '--dry-run', '--json']]) {
      const result = await project.run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(EXIT.ok);
      expect(project.listing()).toEqual(before);
      expect(project.withDb(metadataTables)).toEqual([]);
      expect(project.withDb(appSchema)).toEqual([]);
    }
  });

  it('after a partial up shows only what is pending and writes nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', V1);
    project.write('V2__users_lower.sql', V2);
    expect((await project.run(['up', '--target', '1'])).code).toBe(EXIT.ok);
    const before = { listing: project.listing(), history: project.withDb(history), audit: project.withDb(audit), schema: project.withDb(appSchema) };

    const result = await project.run(['up', '--dry-run']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toContain(V2_STATEMENTS[0]);
    expect(result.stdout).not.toContain(V1_STATEMENTS[0]);

    const down = await project.run(['down', '--dry-run']);
    expect(down.code, down.stderr).toBe(EXIT.ok);
    expect(down.stdout).toContain('DROP TABLE users');

    expect({ listing: project.listing(), history: project.withDb(history), audit: project.withDb(audit), schema: project.withDb(appSchema) }).toEqual(before);
  });
});

describe.concurrent('create', () => {
  const created = /^Created (migrations[/\\]V(\d{14})__add_users_table\.sql)$/m;

  it('creates migrations/V<timestamp>__add_users_table.sql with up and down sections, and the directory', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished }, { withMigrationsDir: false });
    const result = await project.run(['create', 'add users table']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(created);
    const files = project.migrationFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^V\d{14}__add_users_table\.sql$/);
    const text = project.read(files[0] as string);
    expect(text).toMatch(/^-- migrate:up$/m);
    expect(text).toMatch(/^-- migrate:down$/m);
    expect(text.indexOf('-- migrate:up')).toBeLessThan(text.indexOf('-- migrate:down'));

    // The UTC timestamp is about now.
    const version = (files[0] as string).slice(1, 15);
    const utc = (date: Date) => date.toISOString().replace(/\D/g, '').slice(0, 14);
    expect(version >= utc(new Date(Date.now() - 120_000))).toBe(true);
    expect(version <= utc(new Date(Date.now() + 120_000))).toBe(true);

    // The new (empty) migration is a valid pending one.
    const status = await project.run(['status', '--json']);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    expect(stateByVersion(jsonDoc<StatusDoc>(status.stdout))).toEqual({ [version]: 'pending' });
  });

  it('takes an unquoted multi-word name (`migrate create add users table`)', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['create', 'add', 'users', 'table']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(created);
    expect(project.migrationFiles()).toEqual([expect.stringMatching(/^V\d{14}__add_users_table\.sql$/)]);
  });

  it('gives two creates in the same second two distinct files', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const first = await project.run(['create', 'add users table']);
    const second = await project.run(['create', 'add users table']);
    expect(first.code, first.stderr).toBe(EXIT.ok);
    expect(second.code, second.stderr).toBe(EXIT.ok);
    // Also two at once: neither may lose the race by overwriting the other.
    const [third, fourth] = await Promise.all([project.run(['create', 'add users table']), project.run(['create', 'add users table'])]);
    expect(third?.code, third?.stderr).toBe(EXIT.ok);
    expect(fourth?.code, fourth?.stderr).toBe(EXIT.ok);

    const files = project.migrationFiles();
    expect(files).toHaveLength(4);
    const versions = new Set(files.map((file) => file.slice(1, 15)));
    expect(versions.size).toBe(4);
    const reported = [first, second, third, fourth].map((result) => created.exec(result?.stdout ?? '')?.[1]);
    expect(new Set(reported).size).toBe(4);
  });

  it('never overwrites an existing file', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    // Occupy every version the next seconds could produce, with content that must survive.
    const occupied = new Map<string, string>();
    for (let second = 0; second < 15; second++) {
      const version = new Date(Date.now() + second * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
      const name = `V${version}__add_users_table.sql`;
      const content = `-- hand-written ${second}\nCREATE TABLE keep_${second} (x);\n`;
      project.write(name, content);
      occupied.set(name, content);
    }
    const result = await project.run(['create', 'add users table']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    for (const [name, content] of occupied) expect(project.read(name)).toBe(content);
    const fresh = project.migrationFiles().filter((file) => !occupied.has(file));
    expect(fresh).toHaveLength(1);
    expect(result.stdout).toContain(fresh[0]);
  });
});

describe.concurrent('pending gates', () => {
  it('status --check exits 8 while something is pending and 0 once nothing is', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');

    const fresh = await project.run(['status', '--check']);
    expect(fresh.code, fresh.stderr).toBe(EXIT.pending);
    expect(fresh.stderr).toContain('error[E_PENDING]');
    expect(project.dbExists()).toBe(false);

    expect((await project.run(['up', '--target', '1'])).code).toBe(EXIT.ok);
    const partial = await project.run(['status', '--check']);
    expect(partial.code).toBe(EXIT.pending);
    expect(partial.stdout).toMatch(/^2\s+b\s+pending/m);

    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const done = await project.run(['status', '--check']);
    expect(done.code, done.stderr).toBe(EXIT.ok);
    expect(done.stderr).not.toContain('error[');
  });

  it('validate --no-pending exits 8 while something is pending; plain validate exits 0', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
    const before = project.withDb(history);

    const strict = await project.run(['validate', '--no-pending']);
    expect(strict.code, strict.stderr).toBe(EXIT.pending);
    expect(strict.stderr).toContain('error[E_PENDING]');

    const plain = await project.run(['validate']);
    expect(plain.code, plain.stderr).toBe(EXIT.ok);

    expect(project.withDb(history)).toEqual(before);
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    expect((await project.run(['validate', '--no-pending'])).code).toBe(EXIT.ok);
  });
});
