/**
 * `migrations.layout` through `bin/migrate`, on every engine: a golang-migrate directory
 * (`.up.sql` / `.down.sql`) and a dbmate directory (`-- migrate:up` / `-- migrate:down` sections)
 * are read unchanged: they go up, `status` shows them, `down` reverts through the down file or
 * section, `create` writes files of the layout (and migrator.sum, which `validate` then checks),
 * and a misnamed file or one of another layout is refused with the expected pattern.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, checksumOf, jsonDoc, unexpectedStderr } from './helpers.js';
import { createTarget, engineCases, statusDoc, type Engine } from './engines/support.js';

const cases = await engineCases(['sqlite', 'postgres', 'mysql']);

interface HistoryChecksums {
  readonly version: string;
  readonly checksum: string;
  readonly down_checksum: string | null;
}

const GOLANG_USERS_UP = "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\nINSERT INTO users (id, name) VALUES (1, 'a;b');\n";
// Wrapped in BEGIN/COMMIT, as golang-migrate projects often do: migrator runs what is inside in its own transaction.
const GOLANG_POSTS_UP = '-- golang-migrate has no transaction of its own\nBEGIN;\nCREATE TABLE posts (id INT PRIMARY KEY, title VARCHAR(80));\nCREATE INDEX posts_title ON posts (title);\nCOMMIT;\n';

/** An index statement dbmate would run with `transaction:false`: concurrently where the engine has it. */
function indexStatement(engine: Engine): string {
  return engine === 'postgres' ? 'CREATE INDEX CONCURRENTLY users_name ON users (name);' : 'CREATE INDEX users_name ON users (name);';
}

function dropIndexStatement(engine: Engine): string {
  if (engine === 'postgres') return 'DROP INDEX CONCURRENTLY users_name;';
  return engine === 'mysql' ? 'DROP INDEX users_name ON users;' : 'DROP INDEX users_name;';
}

describe('golang-migrate layout', () => {
  for (const engineCase of cases) {
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: up, status, down through the .down.sql files, create, misnamed files`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'migrations:\n  layout: golang-migrate\n');
      project.write('000001_create_users.up.sql', GOLANG_USERS_UP);
      project.write('000001_create_users.down.sql', 'DROP TABLE users;\n');
      project.write('000002_add.posts_table.up.sql', GOLANG_POSTS_UP);
      project.write('000002_add.posts_table.down.sql', 'DROP TABLE posts;\n');
      const target = await createTarget(engineCase, project, `layout golang ${engine}`, { onTestFinished });
      const url = ['--url', target.url];

      const dry = await project.run(['up', '--dry-run', ...url]);
      expect(dry.code, dry.stderr).toBe(EXIT.ok);
      expect(dry.stdout).toContain('-- apply 2 (add.posts table): migrations/000002_add.posts_table.up.sql');
      expect(dry.stdout).not.toMatch(/^(BEGIN|COMMIT)/m);
      expect(await target.history()).toEqual([]);

      const up = await project.run(['up', ...url]);
      expect(up.code, up.stderr).toBe(EXIT.ok);
      expect(await target.rows<{ name: string }>('SELECT name FROM users')).toEqual([{ name: 'a;b' }]);
      expect(await target.tableExists('posts')).toBe(true);
      const rows = await target.rows<HistoryChecksums>('SELECT version, checksum, down_checksum FROM migrator_history ORDER BY seq');
      expect(rows).toEqual([
        { version: '1', checksum: checksumOf(GOLANG_USERS_UP), down_checksum: checksumOf('DROP TABLE users;\n') },
        { version: '2', checksum: checksumOf(GOLANG_POSTS_UP), down_checksum: checksumOf('DROP TABLE posts;\n') },
      ]);

      const status = statusDoc(await project.run(['status', '--json', ...url]));
      expect(status.migrations.map((m) => [m.version, m.state])).toEqual([['1', 'applied'], ['2', 'applied']]);
      const text = await project.run(['status', ...url]);
      expect(text.stdout).toMatch(/^2 +add\.posts table +applied/m);

      const lint = await project.run(['lint', ...url]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(EXIT.ok);

      const down = await project.run(['down', ...url]);
      expect(down.code, down.stderr).toBe(EXIT.ok);
      expect(await target.tableExists('posts')).toBe(false);
      expect(await target.tableExists('users')).toBe(true);
      expect((await target.history()).map((r) => [r.version, r.state])).toEqual([['1', 'applied'], ['2', 'rolled_back']]);

      // create continues the numbered sequence, with an up and a down file, and writes migrator.sum.
      const created = await project.run(['create', 'add email', '--json', ...url]);
      expect(created.code, created.stderr).toBe(EXIT.ok);
      expect(jsonDoc(created.stdout)).toMatchObject({ ok: true, file: 'migrations/000003_add_email.up.sql', files: ['migrations/000003_add_email.up.sql', 'migrations/000003_add_email.down.sql'], version: '000003' });
      expect(project.migrationFiles()).toEqual([
        '000001_create_users.down.sql', '000001_create_users.up.sql',
        '000002_add.posts_table.down.sql', '000002_add.posts_table.up.sql',
        '000003_add_email.down.sql', '000003_add_email.up.sql',
      ]);
      expect(project.read('migrator.sum')).toContain('\n000003_add_email.up.sql h1:');
      project.write('000003_add_email.up.sql', 'ALTER TABLE users ADD email VARCHAR(80);\n');
      project.write('000003_add_email.down.sql', 'ALTER TABLE users DROP COLUMN email;\n');
      const hash = await project.run(['hash', ...url]);
      expect(hash.code, hash.stderr).toBe(EXIT.ok);
      expect(hash.stdout).toMatch(/^Wrote migrations[/\\]migrator\.sum \(6 files\)$/m);
      const valid = await project.run(['validate', ...url]);
      expect(valid.code, valid.stdout + valid.stderr).toBe(EXIT.ok);
      const again = await project.run(['up', ...url]);
      expect(again.code, again.stderr).toBe(EXIT.ok);
      expect((await target.history()).map((r) => [r.version, r.state])).toEqual([['1', 'applied'], ['2', 'applied'], ['3', 'applied']]);
      const toZero = await project.run(['down', '--to', '0', ...url]);
      expect(toZero.code, toZero.stderr).toBe(EXIT.ok);
      expect(await target.tableExists('users')).toBe(false);

      // A down without its up, a misnamed file and a flyway file: refused before anything runs.
      project.write('000009_orphan.down.sql', 'SELECT 1;\n');
      project.write('schema.sql', 'SELECT 1;\n');
      project.write('V10__flyway.sql', 'SELECT 1;\n');
      const refused = await project.run(['up', ...url]);
      expect(refused.code).toBe(EXIT.invalidFiles);
      expect(refused.stderr).toContain('error[E_FILE_NAME]: migrations/000009_orphan.down.sql is the down of version 9, but no 9_<title>.up.sql file defines that version');
      expect(refused.stderr).toContain('error[E_FILE_NAME]: migrations/schema.sql: bad migration file name: expected <version>_<title>.up.sql or <version>_<title>.down.sql, the version being digits (a sequence such as 000001, or a timestamp)');
      expect(refused.stderr).toContain('error[E_FILE_NAME]: migrations/V10__flyway.sql: bad migration file name: this is a flyway file name, but migrations.layout is golang-migrate, which names files <version>_<title>.up.sql or <version>_<title>.down.sql: one migrations directory holds one layout');
      expect(refused.stderr).toContain('  hint: Set migrations.layout: flyway if every migration is named that way');
      expect(await target.tableExists('users')).toBe(false);
      expect(unexpectedStderr(dry.stderr + up.stderr + down.stderr + created.stderr + again.stderr + refused.stderr)).toEqual([]);
    }, 60_000);
  }
});

describe('dbmate layout', () => {
  for (const engineCase of cases) {
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: up, status, down through the migrate:down sections, transaction:false, create, misnamed files`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      // Set by the variable this time (the config file is the golang-migrate test's).
      const env = { MIGRATOR_MIGRATIONS_LAYOUT: 'dbmate', MIGRATOR_MIGRATIONS_DIRS: 'db/migrations' };
      const dir = path.join(project.dir, 'db', 'migrations');
      const write = (name: string, text: string): void => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      };
      const users = "-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\nINSERT INTO users (id, name) VALUES (1, 'x');\n\n-- migrate:down\nDROP TABLE users;\n";
      write('20230101120000_create_users.sql', users);
      write('20230102090000_index_users.sql', `-- migrate:up transaction:false\n${indexStatement(engine)}\n\n-- migrate:down transaction:false\n${dropIndexStatement(engine)}\n`);
      const target = await createTarget(engineCase, project, `layout dbmate ${engine}`, { onTestFinished });
      const url = ['--url', target.url];

      const dry = await project.run(['up', '--dry-run', ...url], { env });
      expect(dry.code, dry.stderr).toBe(EXIT.ok);
      expect(dry.stdout).toContain('-- apply 20230102090000 (index users): db/migrations/20230102090000_index_users.sql [outside a transaction, journaled]');

      const up = await project.run(['up', ...url], { env });
      expect(up.code, up.stderr).toBe(EXIT.ok);
      expect((await target.history()).map((r) => [r.version, r.state])).toEqual([['20230101120000', 'applied'], ['20230102090000', 'applied']]);
      const [first] = await target.rows<HistoryChecksums>("SELECT version, checksum, down_checksum FROM migrator_history WHERE version = '20230101120000'");
      // The down section is checksummed apart, as in any sectioned file.
      expect(first?.down_checksum).toBe(checksumOf('DROP TABLE users;\n'));

      const status = statusDoc(await project.run(['status', '--json', ...url], { env }));
      expect(status.migrations.map((m) => [m.version, m.state])).toEqual([['20230101120000', 'applied'], ['20230102090000', 'applied']]);

      const down = await project.run(['down', '--steps', '2', ...url], { env });
      expect(down.code, down.stderr).toBe(EXIT.ok);
      expect(await target.tableExists('users')).toBe(false);
      expect((await target.history()).map((r) => r.state)).toEqual(['rolled_back', 'rolled_back']);

      const created = await project.run(['create', 'add email', '--json', ...url], { env });
      expect(created.code, created.stderr).toBe(EXIT.ok);
      const doc = jsonDoc<{ file: string; version: string }>(created.stdout);
      expect(doc.file).toMatch(/^db\/migrations\/\d{14}_add_email\.sql$/);
      expect(fs.readFileSync(path.join(project.dir, doc.file), 'utf8')).toBe('-- migrate:up\n\n\n-- migrate:down\n\n');
      const valid = await project.run(['validate', ...url], { env });
      expect(valid.code, valid.stdout + valid.stderr).toBe(EXIT.ok);
      fs.appendFileSync(path.join(project.dir, doc.file), 'SELECT 1;\n');
      const drifted = await project.run(['validate', ...url], { env });
      expect(drifted.code).toBe(EXIT.invalidFiles);
      expect(drifted.stderr).toContain(`error[E_SUM_MISMATCH]: ${doc.file} changed since db/migrations/migrator.sum was written`);
      fs.rmSync(path.join(project.dir, doc.file));
      fs.rmSync(path.join(dir, 'migrator.sum'));

      write('create_posts.sql', '-- migrate:up\nSELECT 1;\n');
      write('000001_x.up.sql', 'SELECT 1;\n');
      write('20230103000000_no_sections.sql', 'CREATE TABLE t (id INT);\n');
      const refused = await project.run(['up', ...url], { env });
      expect(refused.code).toBe(EXIT.invalidFiles);
      expect(refused.stderr).toContain('error[E_FILE_NAME]: db/migrations/create_posts.sql: bad migration file name: expected <version>_<name>.sql, the version being digits (usually a UTC timestamp, YYYYMMDDHHMMSS)');
      expect(refused.stderr).toContain('error[E_FILE_NAME]: db/migrations/000001_x.up.sql: bad migration file name: this is a golang-migrate file name, but migrations.layout is dbmate, which names files <version>_<name>.sql: one migrations directory holds one layout');
      expect(refused.stderr).toContain('error[E_PARSE]: db/migrations/20230103000000_no_sections.sql has no "-- migrate:up" line');
      expect(await target.tableExists('users')).toBe(false);
      expect(unexpectedStderr(dry.stderr + up.stderr + down.stderr + created.stderr + refused.stderr)).toEqual([]);
    }, 60_000);
  }
});

describe('layout refusals say one thing, and the right thing', () => {
  it('sqlite: an .up.sql with a "-- migrate:down" section gets only the golang-migrate error; a flyway file without its V is offered both readings', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'migrations:\n  layout: golang-migrate\n');
    project.write('000001_create_a.up.sql', 'CREATE TABLE a (id INT);\n-- migrate:down\nDROP TABLE a;\n');
    const golang = await project.run(['validate']);
    expect(golang.code).toBe(EXIT.invalidFiles);
    expect(golang.stderr.match(/^error\[/gm)).toEqual(['error[']);
    expect(golang.stderr).toContain('error[E_PARSE]: migrations/000001_create_a.up.sql:2: "-- migrate:down" sections are not part of the golang-migrate layout: golang-migrate would run every line of this file');
    expect(golang.stderr).toContain('remove the "-- migrate:" section lines');

    fs.rmSync(path.join(project.dir, 'migrator.config.yaml'));
    project.remove('000001_create_a.up.sql');
    project.write('20230101_x.sql', 'CREATE TABLE x (id INT);\n');
    const flyway = await project.run(['validate']);
    expect(flyway.code).toBe(EXIT.invalidFiles);
    expect(flyway.stderr).toContain('error[E_FILE_NAME]: migrations/20230101_x.sql: bad migration file name: expected V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql; if this directory is a dbmate one, set migrations.layout: dbmate');
    expect(flyway.stderr).toContain('hint: Rename the file to V<version>__<description>.sql (a missing V?), or, if every migration here is a dbmate file');
    expect(flyway.stderr).not.toContain('this is a dbmate file name');
  });
});
