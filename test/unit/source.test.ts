import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checksumOf, normaliseText } from '../../src/core/source/checksum.js';
import { createTimestampVersion, slugify } from '../../src/core/source/create.js';
import { parseDuration } from '../../src/core/source/directives.js';
import { parseFileName } from '../../src/core/source/filenames.js';
import { loadMigrations } from '../../src/core/source/loader.js';
import { parseMigrationFile, parseUndoFile } from '../../src/core/source/parse.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

describe('parseFileName', () => {
  it.each([
    ['V1__init.sql', 'versioned', '1', 'init'],
    ['V1.2__add_users.sql', 'versioned', '1.2', 'add users'],
    ['V2026_11_21_0930__big_one.sql', 'versioned', '2026.11.21.930', 'big one'],
    ['U3__drop_it.sql', 'undo', '3', 'drop it'],
    ['R__views.sql', 'repeatable', undefined, 'views'],
    ['V4__backfill.ts', 'script', '4', 'backfill'],
  ])('%s is %s %s', (name, role, version, description) => {
    const result = parseFileName(name);
    expect(result.kind).toBe('migration');
    if (result.kind !== 'migration') return;
    expect(result.name.role).toBe(role);
    expect(result.name.version?.canonical).toBe(version);
    expect(result.name.description).toBe(description);
  });

  it.each(['README.md', 'migrator.sum', 'notes.txt'])('ignores %s', (name) => {
    expect(parseFileName(name).kind).toBe('ignored');
  });

  it.each([
    ['v1__lower.sql', /expected V<version>/],
    ['V1_single_underscore.sql', /expected V<version>/],
    ['Vx__bad.sql', /not a version/],
    ['V1__.sql', /expected V<version>/],
    ['R1__versioned_repeatable.sql', /has no version/],
    ['U1__x.ts', /undo files are SQL/],
  ])('reports %s as invalid', (name, reason) => {
    const result = parseFileName(name);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.reason).toMatch(reason);
  });
});

describe('checksums', () => {
  it('strips a BOM and normalises CRLF and CR before hashing', () => {
    const unix = 'CREATE TABLE a (id int);\nSELECT 1;\n';
    expect(checksumOf(normaliseText(`\ufeff${unix.replace(/\n/g, '\r\n')}`))).toBe(checksumOf(unix));
    expect(checksumOf(normaliseText(unix.replace(/\n/g, '\r')))).toBe(checksumOf(unix));
  });

  it('is tagged sha256v1 and changes with the text', () => {
    expect(checksumOf('a')).toMatch(/^sha256v1:[0-9a-f]{64}$/);
    expect(checksumOf('a')).not.toBe(checksumOf('b'));
  });
});

describe('parseMigrationFile', () => {
  it('treats a file without markers as all up, reading its header directives', () => {
    const parsed = parseMigrationFile('V2__x.sql', '-- migrate:depends V1 R__views\n-- migrate:timeout 30s\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n', sqliteSyntax);
    expect(parsed.problems).toEqual([]);
    expect(parsed.up.statements.map((s) => [s.sql, s.line])).toEqual([['CREATE TABLE a (id int)', 3], ['CREATE TABLE b (id int)', 4]]);
    expect(parsed.directives.depends).toEqual(['1', 'R__views']);
    expect(parsed.up.timeoutMs).toBe(30_000);
    expect(parsed.down).toBeUndefined();
  });

  it('splits up, down and verify sections with file line numbers', () => {
    const text = '-- comment\n-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:verify\nSELECT 1;\n-- migrate:down\nDROP TABLE a;\n';
    const parsed = parseMigrationFile('V1__a.sql', text, sqliteSyntax);
    expect(parsed.problems).toEqual([]);
    expect(parsed.up.statements[0]).toMatchObject({ sql: 'CREATE TABLE a (id int)', line: 3 });
    expect(parsed.verify?.statements[0]).toMatchObject({ sql: 'SELECT 1', line: 6 });
    expect(parsed.down?.statements[0]).toMatchObject({ sql: 'DROP TABLE a', line: 8 });
    expect(parsed.downChecksum).toMatch(/^sha256v1:/);
  });

  it('checksums the down section apart: editing it changes downChecksum only', () => {
    const before = parseMigrationFile('V1__a.sql', '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n', sqliteSyntax);
    const after = parseMigrationFile('V1__a.sql', '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE IF EXISTS a;\n', sqliteSyntax);
    expect(after.checksum).toBe(before.checksum);
    expect(after.downChecksum).not.toBe(before.downChecksum);
    const edited = parseMigrationFile('V1__a.sql', '-- migrate:up\nCREATE TABLE a (id bigint);\n-- migrate:down\nDROP TABLE a;\n', sqliteSyntax);
    expect(edited.checksum).not.toBe(before.checksum);
  });

  it.each([
    ['unknown directive', '-- migrate:transactoin off\nSELECT 1;', /unknown directive "-- migrate:transactoin"/, 1],
    ['directive after the first statement', 'SELECT 1;\n-- migrate:irreversible\n', /comes after the first statement/, 2],
    ['bad transaction value', '-- migrate:transaction maybe\nSELECT 1;', /takes "on" or "off"/, 1],
    ['bad timeout', '-- migrate:timeout soon\nSELECT 1;', /takes a duration/, 1],
    ['bad depends', '-- migrate:depends next\nSELECT 1;', /"next" is not a version/, 1],
    ['duplicate section', '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;', /appears twice/, 3],
    ['statement before sections', 'SELECT 0;\n-- migrate:up\nSELECT 1;', /statement before the first/, 1],
    ['file-level directive in down', '-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:depends 1\nSELECT 2;', /applies to the whole migration/, 4],
    ['unterminated string', "-- migrate:up\nSELECT 'abc;\n", /unterminated/, 2],
  ])('reports %s with its line', (_name, text, message, line) => {
    const parsed = parseMigrationFile('V9__x.sql', text, sqliteSyntax);
    expect(parsed.problems[0]?.message).toMatch(message);
    expect(parsed.problems[0]?.at).toMatchObject({ file: 'V9__x.sql', line });
  });

  it.each(['BEGIN', 'begin transaction', 'START TRANSACTION', 'COMMIT', 'commit work', 'END', 'ROLLBACK', 'COMMIT AND CHAIN'])('refuses %j inside a migration migrator runs in a transaction', (control) => {
    const parsed = parseMigrationFile('V1__t.sql', `CREATE TABLE t (a int);\n${control};\n`, sqliteSyntax);
    expect(parsed.problems[0]).toMatchObject({ code: 'E_MIXED_TRANSACTION', at: { line: 2 } });
    expect(parsed.problems[0]?.hint).toMatch(/-- migrate:transaction off/);
  });

  it('accepts transaction control with "-- migrate:transaction off", and savepoints anywhere', () => {
    expect(parseMigrationFile('V1__t.sql', '-- migrate:transaction off\nSTART TRANSACTION;\nINSERT INTO t VALUES (1);\nCOMMIT;\n', sqliteSyntax).problems).toEqual([]);
    expect(parseMigrationFile('V1__t.sql', 'SAVEPOINT a;\nROLLBACK TO SAVEPOINT a;\nRELEASE SAVEPOINT a;\n', sqliteSyntax).problems).toEqual([]);
  });

  it('runs a file of only non-transactional statements outside a transaction, like Flyway', () => {
    const parsed = parseMigrationFile('V1__i.sql', 'CREATE INDEX CONCURRENTLY i ON t (a);\n', postgresSyntax);
    expect(parsed.problems).toEqual([]);
    expect(parsed.up.transactional).toBe(false);
  });

  it('refuses a file mixing them with ordinary statements, naming the line and the way out', () => {
    const parsed = parseMigrationFile('V1__i.sql', 'CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n', postgresSyntax);
    expect(parsed.problems[0]).toMatchObject({ code: 'E_MIXED_TRANSACTION', at: { line: 2 } });
    expect(parsed.problems[0]?.hint).toMatch(/-- migrate:transaction off/);
  });

  it('accepts the mix with "-- migrate:transaction off", and the down section inherits the header', () => {
    const parsed = parseMigrationFile('V1__i.sql', '-- migrate:transaction off\n-- migrate:up\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP TABLE t;\n', postgresSyntax);
    expect(parsed.problems).toEqual([]);
    expect(parsed.up.transactional).toBe(false);
    expect(parsed.down?.transactional).toBe(false);
  });

  it('accepts dbmate-style "-- migrate:up transaction:false"', () => {
    expect(parseMigrationFile('V1__i.sql', '-- migrate:up transaction:false\nSELECT 1;\n', sqliteSyntax).up.transactional).toBe(false);
  });

  it('parses an empty (comments only) migration as zero statements', () => {
    const parsed = parseMigrationFile('V1__empty.sql', '-- nothing yet\n/* really */\n', sqliteSyntax);
    expect(parsed.problems).toEqual([]);
    expect(parsed.up.statements).toEqual([]);
  });

  it('parses undo files as a down script with their own checksum', () => {
    const parsed = parseUndoFile('U1__a.sql', 'DROP TABLE a;\n', sqliteSyntax);
    expect(parsed.down.statements.map((s) => s.sql)).toEqual(['DROP TABLE a']);
    expect(parsed.checksum).toBe(checksumOf('DROP TABLE a;\n'));
  });
});

describe('loadMigrations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'migrator-source-'));
    dirs.push(root);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    return root;
  }

  it('pairs V and U files, reads subdirectories and several dirs, and ignores other files', async () => {
    const cwd = tree({
      'migrations/V1__a.sql': 'CREATE TABLE a (id int);',
      'migrations/U1__a.sql': 'DROP TABLE a;',
      'migrations/2026/V2__b.sql': '-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;',
      'migrations/README.md': '# not a migration',
      'more/R__views.sql': 'CREATE VIEW v AS SELECT 1;',
    });
    const result = await loadMigrations({ dirs: ['migrations', 'more'], syntax: sqliteSyntax, cwd });
    expect(result.problems).toEqual([]);
    expect(result.migrations.map((m) => [m.id, m.kind, m.down?.file])).toEqual([
      ['2', 'versioned', path.join('migrations', '2026', 'V2__b.sql')],
      ['1', 'versioned', path.join('migrations', 'U1__a.sql')],
      ['R__views', 'repeatable', undefined],
    ]);
  });

  it('reports a missing directory instead of reading it as empty (a misspelt --dir must not deploy nothing)', async () => {
    const cwd = tree({ 'migrations/V1__a.sql': 'SELECT 1;' });
    const result = await loadMigrations({ dirs: ['migrations', 'migrashuns'], syntax: sqliteSyntax, cwd });
    expect(result.problems).toEqual([expect.objectContaining({ code: 'E_FILE_READ', message: expect.stringMatching(/^migrations directory migrashuns does not exist/) })]);
    expect(result.migrations.map((m) => m.id)).toEqual(['1']);
  });

  it('reports every bad file at once, each with its file', async () => {
    const cwd = tree({
      'migrations/v1__bad_name.sql': 'SELECT 1;',
      'migrations/U5__orphan.sql': 'SELECT 1;',
      'migrations/V2__broken.sql': "SELECT 'x;",
      'migrations/V3__script.ts': 'export async function up() {}',
      'migrations/V4__both.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;',
      'migrations/U4__both.sql': 'SELECT 3;',
    });
    const result = await loadMigrations({ dirs: ['migrations'], syntax: sqliteSyntax, cwd });
    const byFile = result.problems.map((p) => [p.code, p.at?.file]);
    expect(byFile).toEqual(expect.arrayContaining([
      ['E_FILE_NAME', path.join('migrations', 'v1__bad_name.sql')],
      ['E_FILE_NAME', path.join('migrations', 'U5__orphan.sql')],
      ['E_PARSE', path.join('migrations', 'V2__broken.sql')],
      ['E_FILE_NAME', path.join('migrations', 'V3__script.ts')],
      ['E_DUPLICATE_VERSION', path.join('migrations', 'U4__both.sql')],
    ]));
    expect(result.problems).toHaveLength(5);
  });
});

describe('create helpers', () => {
  it('slugifies names for file names', () => {
    expect(slugify('Add users: e-mail index!')).toBe('add_users_e_mail_index');
    expect(slugify('Crème brûlée')).toBe('creme_brulee');
    expect(slugify('!!!')).toBe('');
  });

  it('uses the UTC timestamp and moves past taken versions', () => {
    const now = new Date(Date.UTC(2026, 10, 21, 9, 30, 15));
    expect(createTimestampVersion(now, 0, new Set())).toBe('20261121093015');
    expect(createTimestampVersion(now, 0, new Set(['20261121093015', '20261121093016']))).toBe('20261121093017');
  });

  it('parses durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('1h'), parseDuration('2'), parseDuration('x')]).toEqual([500, 30_000, 300_000, 3_600_000, 2_000, undefined]);
  });
});
