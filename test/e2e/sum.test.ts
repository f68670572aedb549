/**
 * migrator.sum as a user meets it: `create` keeps it current, `hash` rewrites it, two branches that
 * each add a migration conflict on it in git. The expected content is computed here from the format
 * (not from src/), so the format itself is under test.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, jsonDoc, unexpectedStderr } from './helpers.js';

const SUM = 'migrator.sum';

function h1(text: string): string {
  return `h1:${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** The migrator.sum expected for these files (path relative to the first directory -> content). */
function expectedSum(files: Readonly<Record<string, string>>): string {
  const body = Object.keys(files)
    .sort()
    .map((file) => `${file} ${h1((files[file] ?? '').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'))}\n`)
    .join('');
  return `${h1(body)}\n${body}`;
}

/** Every migration file of `migrations/` (not the sum) with its content. */
function migrationContents(project: Project): Record<string, string> {
  return Object.fromEntries(project.migrationFiles().filter((file) => /^[VUR].*__.*\.sql$/.test(file)).map((file) => [file, project.read(file)]));
}

function firstLine(text: string): string {
  return text.slice(0, text.indexOf('\n'));
}

const createdFile = (stdout: string) => /^Created migrations[/\\](\S+)$/m.exec(stdout)?.[1] ?? '';

describe.concurrent('migrator.sum', () => {
  it('is written by the first create and updated by each create; line 1 changes every time', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished }, { withMigrationsDir: false });
    const first = await project.run(['create', 'a']);
    expect(first.code, first.stderr).toBe(EXIT.ok);
    expect(first.stdout).toMatch(/^Wrote migrations[/\\]migrator\.sum \(commit it with the migration\)$/m);
    const afterFirst = project.read(SUM);
    expect(afterFirst).toBe(expectedSum(migrationContents(project)));
    expect(afterFirst.split('\n')).toHaveLength(3);

    const second = await project.run(['create', 'a', '--json']);
    expect(second.code, second.stderr).toBe(EXIT.ok);
    expect(jsonDoc(second.stdout)).toMatchObject({ ok: true, sum: path.join('migrations', SUM) });
    const afterSecond = project.read(SUM);
    const files = Object.keys(migrationContents(project));
    expect(files).toHaveLength(2);
    expect(afterSecond).toBe(expectedSum(migrationContents(project)));
    for (const file of files) expect(afterSecond).toContain(`\n${file} h1:`);
    expect(firstLine(afterSecond)).not.toBe(firstLine(afterFirst));
    expect(unexpectedStderr(first.stderr + second.stderr)).toEqual([]);
  });

  it('when first created, lists the migrations that were already there (adopting it)', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\r\n');
    project.write('sub/R__v.sql', 'CREATE VIEW v AS SELECT 1;\n');
    project.write('README.md', 'not a migration\n');
    const result = await project.run(['create', 'b']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const created = createdFile(result.stdout);
    expect(project.read(SUM)).toBe(expectedSum({ 'V1__a.sql': 'CREATE TABLE a (x);\r\n', 'sub/R__v.sql': 'CREATE VIEW v AS SELECT 1;\n', [created]: project.read(created) }));
  });

  it('keeps every line when creates run at once', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    expect((await project.run(['create', 'base'])).code).toBe(EXIT.ok);
    const results = await Promise.all(['one', 'two', 'three'].map((name) => project.run(['create', name])));
    for (const result of results) expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(Object.keys(migrationContents(project))).toHaveLength(4);
    expect(project.read(SUM)).toBe(expectedSum(migrationContents(project)));
    expect(project.migrationFiles().filter((file) => file.startsWith('.'))).toEqual([]);
  });

  it('is rewritten by "migrate hash" after a migration and the sum were edited by hand', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const created = createdFile((await project.run(['create', 'add users'])).stdout);
    project.write(created, '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n');
    project.write('V1__seed.sql', 'SELECT 1;\n');
    project.write(SUM, `${project.read(SUM)}garbage line\n`);
    const before = project.read(SUM);

    const result = await project.run(['hash']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toBe(`Wrote ${path.join('migrations', SUM)} (2 files)\n`);
    const after = project.read(SUM);
    expect(after).toBe(expectedSum(migrationContents(project)));
    expect(firstLine(after)).not.toBe(firstLine(before));

    const json = await project.run(['hash', '--json']);
    expect(json.code, json.stderr).toBe(EXIT.ok);
    expect(jsonDoc(json.stdout)).toEqual({ ok: true, file: path.join('migrations', SUM), files: 2, sum: firstLine(after), changed: false });
    expect(project.read(SUM)).toBe(after);
    expect(project.migrationFiles().filter((file) => file.startsWith('.'))).toEqual([]);
  });

  it('"migrate hash" lists every configured directory relative to the first one', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'SELECT 1;\n');
    fs.mkdirSync(path.join(project.dir, 'other'));
    fs.writeFileSync(path.join(project.dir, 'other', 'V9__z.sql'), 'SELECT 9;\n');
    const result = await project.run(['hash', '--dir', 'migrations', '--dir', 'other']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(project.read(SUM)).toBe(expectedSum({ 'V1__a.sql': 'SELECT 1;\n', '../other/V9__z.sql': 'SELECT 9;\n' }));
  });

  it('"migrate hash" refuses a migrations directory that does not exist (exit 5) and writes nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished }, { withMigrationsDir: false });
    const result = await project.run(['hash']);
    expect(result.code).toBe(EXIT.invalidFiles);
    expect(result.stderr).toContain('error[E_FILE_READ]');
    expect(project.listing()).toEqual([]);
  });

  it('differs in line 1 between two branches that each create a migration from the same sum', async ({ expect, onTestFinished }) => {
    const main = new Project({ onTestFinished });
    expect((await main.run(['create', 'base'])).code).toBe(EXIT.ok);
    const branch = new Project({ onTestFinished });
    fs.cpSync(main.migrationsDir, branch.migrationsDir, { recursive: true });
    const base = main.read(SUM);

    expect((await main.run(['create', 'add orders'])).code).toBe(EXIT.ok);
    expect((await branch.run(['create', 'add invoices'])).code).toBe(EXIT.ok);
    const [ours, theirs] = [main.read(SUM), branch.read(SUM)];
    expect(firstLine(ours)).not.toBe(firstLine(base));
    expect(firstLine(theirs)).not.toBe(firstLine(base));
    expect(firstLine(ours)).not.toBe(firstLine(theirs));
    // Line 1 is the one both branches changed: git cannot merge that.
    expect(ours.split('\n').slice(1, 2)).toEqual(base.split('\n').slice(1, 2));
  });

  const git = spawnSync('git', ['--version']).status === 0;

  it.skipIf(!git)('makes git report a conflict when two branches each add a migration; "migrate hash" resolves it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const run = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', ...args], { cwd: project.dir, encoding: 'utf8' });
    const ok = (...args: string[]) => {
      const result = run(...args);
      expect(result.status, `git ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
    };
    ok('init', '-q');
    ok('checkout', '-q', '-b', 'main');
    expect((await project.run(['create', 'base'])).code).toBe(EXIT.ok);
    ok('add', 'migrations');
    ok('commit', '-q', '-m', 'base');
    ok('checkout', '-q', '-b', 'feature');
    expect((await project.run(['create', 'add invoices'])).code).toBe(EXIT.ok);
    ok('add', 'migrations');
    ok('commit', '-q', '-m', 'invoices');
    ok('checkout', '-q', 'main');
    expect((await project.run(['create', 'add orders'])).code).toBe(EXIT.ok);
    ok('add', 'migrations');
    ok('commit', '-q', '-m', 'orders');

    expect(run('merge', '-q', '--no-edit', 'feature').status).not.toBe(0);
    expect(run('diff', '--name-only', '--diff-filter=U').stdout.trim()).toBe('migrations/migrator.sum');
    expect(project.read(SUM)).toMatch(/^<<<<<<< /m);

    // An unresolved sum is refused before anything is created.
    const before = project.migrationFiles();
    const refused = await project.run(['create', 'more']);
    expect(refused.code).toBe(EXIT.invalidFiles);
    expect(refused.stderr).toMatch(/error\[E_SUM_MISMATCH\]: migrations[/\\]migrator\.sum line 1: unresolved git merge conflict marker/);
    expect(refused.stderr).toContain('migrate hash');
    expect(project.migrationFiles()).toEqual(before);

    const hashed = await project.run(['hash']);
    expect(hashed.code, hashed.stderr).toBe(EXIT.ok);
    expect(hashed.stdout).toContain('(3 files)');
    expect(project.read(SUM)).toBe(expectedSum(migrationContents(project)));
  });
});

describe.concurrent('validate checks migrator.sum', () => {
  it('exits 5 naming a file edited or added without "migrate hash", and 0 once hashed', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    expect((await project.run(['create', 'first'])).code).toBe(EXIT.ok);
    const [first] = project.migrationFiles();
    if (first === undefined) throw new Error('create wrote no file');
    project.write(first, '-- migrate:up\nCREATE TABLE t (x INTEGER);\n-- migrate:down\nDROP TABLE t;\n');
    project.write('V99__added_by_hand.sql', 'CREATE TABLE u (x INTEGER);\n');

    const result = await project.run(['validate']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stderr).toMatch(new RegExp(`^error\\[E_SUM_MISMATCH\\]: migrations/${first.replace('.', '\\.')} changed since migrations/migrator\\.sum was written`, 'm'));
    expect(result.stderr).toMatch(/^error\[E_SUM_MISMATCH\]: migrations\/V99__added_by_hand\.sql is not in migrations\/migrator\.sum/m);

    expect((await project.run(['hash'])).code).toBe(EXIT.ok);
    const clean = await project.run(['validate']);
    expect(clean.code, clean.stderr).toBe(EXIT.ok);
  });
});
