/**
 * Reading golang-migrate and dbmate directories (loader.ts with `layout`): pairing up and down
 * files, checksums of the raw files, sections and directives per layout, the BEGIN/COMMIT wrapper
 * of golang-migrate files, and migrator.sum over the layout's files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFiles } from '../../src/core/plan/index.js';
import { checksumOf } from '../../src/core/source/checksum.js';
import { loadMigrations } from '../../src/core/source/loader.js';
import { parseMigrationFile, parseUndoFile, unwrapTransaction } from '../../src/core/source/parse.js';
import { readSumInputs } from '../../src/core/source/sum.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'migrator-layout-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

const m = (name: string): string => path.join('migrations', name);

describe('golang-migrate directories', () => {
  it('pairs .up.sql and .down.sql by version; an up without a down is irreversible', async () => {
    const cwd = tree({
      'migrations/000001_create_users.up.sql': 'CREATE TABLE users (id int);\r\nINSERT INTO users VALUES (1);\r\n',
      'migrations/000001_create_users.down.sql': 'DROP TABLE users;\n',
      'migrations/000002_add.posts.up.sql': 'CREATE TABLE posts (id int);\n',
      // golang-migrate pairs by version; the titles need not agree.
      'migrations/10_other_title.down.sql': 'DROP TABLE t10;\n',
      'migrations/0010_t10.up.sql': 'CREATE TABLE t10 (id int);\n',
      'migrations/README.md': 'not a migration',
    });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'golang-migrate', syntax: sqliteSyntax, cwd });
    expect(result.problems).toEqual([]);
    expect(checkFiles(result.migrations).problems).toEqual([]);
    expect(result.migrations.map((mig) => [mig.id, mig.description, mig.file, mig.down?.file])).toEqual([
      ['1', 'create users', m('000001_create_users.up.sql'), m('000001_create_users.down.sql')],
      ['2', 'add.posts', m('000002_add.posts.up.sql'), undefined],
      ['10', 't10', m('0010_t10.up.sql'), m('10_other_title.down.sql')],
    ]);
    const [first] = result.migrations;
    // Checksums are those of the raw files (normalised like every checksum: CRLF -> LF).
    expect(first?.checksum).toBe(checksumOf('CREATE TABLE users (id int);\nINSERT INTO users VALUES (1);\n'));
    expect(first?.downChecksum).toBe(checksumOf('DROP TABLE users;\n'));
    expect(first?.up.statements.map((s) => s.sql)).toEqual(['CREATE TABLE users (id int)', 'INSERT INTO users VALUES (1)']);
    expect(first?.up.transactional).toBe(true);
    expect(result.migrations[1]?.downChecksum).toBeUndefined();
  });

  it('refuses a down without an up, naming the file, and a version with two downs', async () => {
    const cwd = tree({
      'migrations/000003_orphan.down.sql': 'SELECT 1;',
      'migrations/000004_a.up.sql': 'SELECT 1;',
      'migrations/000004_a.down.sql': 'SELECT 1;',
      'migrations/4_b.down.sql': 'SELECT 2;',
    });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'golang-migrate', syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => [p.code, p.message])).toEqual([
      ['E_DUPLICATE_VERSION', `undo of version 4 is defined twice: ${m('000004_a.down.sql')} and ${m('4_b.down.sql')}`],
      ['E_FILE_NAME', `${m('000003_orphan.down.sql')} is the down of version 3, but no 3_<title>.up.sql file defines that version`],
    ]);
  });

  it('reports two up files of one version as duplicates (checkFiles)', async () => {
    const cwd = tree({ 'migrations/1_a.up.sql': 'SELECT 1;', 'migrations/0001_b.up.sql': 'SELECT 2;' });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'golang-migrate', syntax: sqliteSyntax, cwd });
    expect(result.problems).toEqual([]);
    expect(checkFiles(result.migrations).problems.map((p) => p.code)).toEqual(['E_DUPLICATE_VERSION']);
  });

  it('refuses files of other layouts and misnamed SQL files with the expected pattern', async () => {
    const cwd = tree({
      'migrations/000001_a.up.sql': 'SELECT 1;',
      'migrations/V2__flyway.sql': 'SELECT 1;',
      'migrations/20230101120000_dbmate.sql': '-- migrate:up\nSELECT 1;',
      'migrations/schema.sql': 'SELECT 1;',
    });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'golang-migrate', syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => [p.code, p.message]).sort(([, a = ''], [, b = '']) => (a < b ? -1 : 1))).toEqual([
      ['E_FILE_NAME', `${m('20230101120000_dbmate.sql')}: bad migration file name: this is a dbmate file name, but migrations.layout is golang-migrate, which names files <version>_<title>.up.sql or <version>_<title>.down.sql: one migrations directory holds one layout`],
      ['E_FILE_NAME', `${m('V2__flyway.sql')}: bad migration file name: this is a flyway file name, but migrations.layout is golang-migrate, which names files <version>_<title>.up.sql or <version>_<title>.down.sql: one migrations directory holds one layout`],
      ['E_FILE_NAME', `${m('schema.sql')}: bad migration file name: expected <version>_<title>.up.sql or <version>_<title>.down.sql, the version being digits (a sequence such as 000001, or a timestamp)`],
    ]);
    expect(result.migrations.map((mig) => mig.id)).toEqual(['1']);
  });

  it('refuses "-- migrate:" sections in an .up.sql file: golang-migrate would run them all', () => {
    const parsed = parseMigrationFile('1_a.up.sql', '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n', sqliteSyntax, undefined, { sections: 'refused' });
    expect(parsed.problems.map((p) => p.message)).toEqual(['1_a.up.sql:1: "-- migrate:up" sections are not part of the golang-migrate layout: golang-migrate would run every line of this file']);
  });

  it.each([
    ['a down section after plain statements', 'CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n', 2, 'down'],
    ['only a down section', '-- migrate:down\nDROP TABLE a;\n', 1, 'down'],
    ['a repeated down section', '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n-- migrate:down\nSELECT 1;\n', 1, 'up'],
  ])('an .up.sql file with %s gets the one golang-migrate error, nothing contradicting it', (_, text, line, kind) => {
    const parsed = parseMigrationFile('1_a.up.sql', text, sqliteSyntax, undefined, { sections: 'refused' });
    expect(parsed.problems.map((p) => [p.code, p.message, p.hint])).toEqual([[
      'E_PARSE', `1_a.up.sql:${line}: "-- migrate:${kind}" sections are not part of the golang-migrate layout: golang-migrate would run every line of this file`,
      'Put the revert in the matching <version>_<title>.down.sql file and remove the "-- migrate:" section lines.',
    ]]);
  });

  it('accepts our header directives, which golang-migrate reads as comments', () => {
    const parsed = parseMigrationFile('1_a.up.sql', '-- migrate:transaction off\n-- migrate:timeout 5s\nCREATE INDEX CONCURRENTLY i ON t (id);\n', postgresSyntax, undefined, { sections: 'refused', unwrapTransaction: true });
    expect(parsed.problems).toEqual([]);
    expect(parsed.up).toMatchObject({ transactional: false, timeoutMs: 5000 });
  });

  it('runs a BEGIN; ... COMMIT; file inside migrator\'s transaction, without the wrapper', () => {
    const text = '-- wrapped as the golang-migrate docs suggest\nBEGIN;\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nCOMMIT;\n';
    const up = parseMigrationFile('1_a.up.sql', text, postgresSyntax, undefined, { sections: 'refused', unwrapTransaction: true });
    expect(up.problems).toEqual([]);
    expect(up.up.statements.map((s) => [s.sql, s.line])).toEqual([['CREATE TABLE a (id int)', 3], ['INSERT INTO a VALUES (1)', 4]]);
    expect(up.up.transactional).toBe(true);
    expect(up.checksum).toBe(checksumOf(text));
    const down = parseUndoFile('1_a.down.sql', 'START TRANSACTION;\nDROP TABLE a;\nCOMMIT WORK;\n', mysqlSyntax, undefined, { unwrapTransaction: true });
    expect(down.problems).toEqual([]);
    expect(down.down.statements.map((s) => s.sql)).toEqual(['DROP TABLE a']);
    // Flyway files are not unwrapped: a COMMIT there is refused as before.
    expect(parseMigrationFile('V1__a.sql', text, postgresSyntax).problems.map((p) => p.code)).toEqual(['E_MIXED_TRANSACTION', 'E_MIXED_TRANSACTION']);
  });

  it('unwraps only an exact outer pair; anything else is left for the transaction-control check', () => {
    const statements = (...sql: string[]) => sql.map((s, i) => ({ sql: s, line: i + 1, column: 1 }));
    const unwrap = (...sql: string[]) => unwrapTransaction(statements(...sql)).map((s) => s.sql);
    expect(unwrap('BEGIN', 'SELECT 1', 'END')).toEqual(['SELECT 1']);
    expect(unwrap('begin transaction', 'SELECT 1', 'commit transaction')).toEqual(['SELECT 1']);
    expect(unwrap('BEGIN', 'COMMIT')).toEqual([]);
    expect(unwrap('BEGIN', 'SELECT 1', 'COMMIT', 'BEGIN', 'SELECT 2', 'COMMIT')).toEqual(['BEGIN', 'SELECT 1', 'COMMIT', 'BEGIN', 'SELECT 2', 'COMMIT']);
    expect(unwrap('BEGIN', 'SELECT 1', 'ROLLBACK')).toEqual(['BEGIN', 'SELECT 1', 'ROLLBACK']);
    expect(unwrap('SELECT 1', 'COMMIT')).toEqual(['SELECT 1', 'COMMIT']);
    const file = parseMigrationFile('1_a.up.sql', 'BEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\n', sqliteSyntax, undefined, { sections: 'refused', unwrapTransaction: true });
    expect(file.problems.map((p) => p.code)).toEqual(['E_MIXED_TRANSACTION', 'E_MIXED_TRANSACTION']);
  });
});

describe('dbmate directories', () => {
  it('reads sections, maps transaction:false, and checksums like a sectioned file', async () => {
    const users = '-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE users;\n';
    const cwd = tree({
      'db/migrations/20230101120000_create_users.sql': users,
      'db/migrations/20230102090000_add_index.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON users (id);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n',
      'db/migrations/20230103000000_up_only.sql': '-- migrate:up\nCREATE TABLE t (id int);\n',
    });
    const result = await loadMigrations({ dirs: ['db/migrations'], layout: 'dbmate', syntax: postgresSyntax, cwd });
    expect(result.problems).toEqual([]);
    expect(result.migrations.map((mig) => [mig.id, mig.description, mig.up.transactional, mig.down?.transactional])).toEqual([
      ['20230101120000', 'create users', true, true],
      ['20230102090000', 'add index', false, false],
      ['20230103000000', 'up only', true, undefined],
    ]);
    expect(result.migrations[0]?.checksum).toBe(checksumOf('\nCREATE TABLE users (id int);\n'));
    expect(result.migrations[0]?.downChecksum).toBe(checksumOf('DROP TABLE users;\n'));
  });

  it('requires "-- migrate:up", as dbmate does', async () => {
    const cwd = tree({ 'migrations/20230101120000_plain.sql': 'CREATE TABLE t (id int);\n' });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'dbmate', syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => [p.code, p.message])).toEqual([
      ['E_PARSE', `${m('20230101120000_plain.sql')} has no "-- migrate:up" line: a dbmate migration holds its statements in "-- migrate:up" and "-- migrate:down" sections`],
    ]);
  });

  it('refuses golang-migrate and flyway names in a dbmate directory', async () => {
    const cwd = tree({ 'migrations/1_a.up.sql': 'SELECT 1;', 'migrations/V2__b.sql': 'SELECT 1;', 'migrations/20230101120000_ok.sql': '-- migrate:up\n' });
    const result = await loadMigrations({ dirs: ['migrations'], layout: 'dbmate', syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => p.message).sort()).toEqual([
      expect.stringMatching(/1_a\.up\.sql: bad migration file name: this is a golang-migrate file name, but migrations\.layout is dbmate/),
      expect.stringMatching(/V2__b\.sql: bad migration file name: this is a flyway file name, but migrations\.layout is dbmate/),
    ]);
    expect(result.migrations.map((mig) => mig.id)).toEqual(['20230101120000']);
  });
});

describe('migrator.sum lists the files of the configured layout', () => {
  it('hashes golang-migrate up and down files, and dbmate files, but nothing misnamed', async () => {
    const cwd = tree({
      'migrations/000001_a.up.sql': 'SELECT 1;\n',
      'migrations/000001_a.down.sql': 'SELECT -1;\n',
      'migrations/20230101120000_b.sql': '-- migrate:up\n',
      'migrations/V3__c.sql': 'SELECT 3;\n',
    });
    expect((await readSumInputs(['migrations'], cwd, 'golang-migrate')).map((i) => i.path)).toEqual(['000001_a.down.sql', '000001_a.up.sql']);
    expect((await readSumInputs(['migrations'], cwd, 'dbmate')).map((i) => i.path)).toEqual(['20230101120000_b.sql']);
    expect((await readSumInputs(['migrations'], cwd)).map((i) => i.path)).toEqual(['V3__c.sql']);
  });
});
