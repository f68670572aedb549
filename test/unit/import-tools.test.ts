/** The readers of other tools' history rows (src/core/import/tools-*.ts) and value parsing, table-driven. */
import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import { TOOL_READERS } from '../../src/core/import/tools.js';
import type { ForeignEntry, ImportToolName } from '../../src/core/import/types.js';
import { crc32, flywayChecksum } from '../../src/core/import/flyway-checksum.js';
import { isoTime, leadingVersion, truthy } from '../../src/core/import/values.js';
import { validTableName } from '../../src/core/import/read.js';

const parse = (tool: ImportToolName, rows: Array<Record<string, unknown>>): ReadonlyArray<ForeignEntry> => TOOL_READERS[tool].parse(rows, TOOL_READERS[tool].table);
const brief = (entries: ReadonlyArray<ForeignEntry>): string[] => entries.map((e) => `${e.ref} ${e.state}${e.note ? ` (${e.note})` : ''}`);

describe('values', () => {
  it.each([
    [new Date('2024-01-02T03:04:05.123Z'), '2024-01-02T03:04:05.123Z'],
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05.123456', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02T03:04:05+02:00', '2024-01-02T01:04:05.000Z'],
    ['2024-01-02 03:04:05+0200', '2024-01-02T01:04:05.000Z'],
    [1704067201000, '2024-01-01T00:00:01.000Z'],
    ['1704067201', '2024-01-01T00:00:01.000Z'],
    // Below 1e11 a number is seconds (as milliseconds it would be before 1973-03-03); from 1e11, milliseconds.
    [99_999_999_999, '5138-11-16T09:46:39.000Z'],
    [100_000_000_000, '1973-03-03T09:46:40.000Z'],
    [null, undefined],
    ['yesterday', undefined],
  ])('isoTime(%j) = %j', (value, expected) => {
    expect(isoTime(value)).toBe(expected);
  });

  it.each([[true, true], [1, true], ['t', true], ['TRUE', true], [Buffer.from([1]), true], [false, false], [0, false], ['f', false], [null, false]])('truthy(%j) = %j', (value, expected) => {
    expect(truthy(value)).toBe(expected);
  });

  it.each([
    ['20240101120000_create_users.js', '20240101120000'],
    ['/20240101120000-create-users', '20240101120000'],
    ['1700000000001_create-a', '1700000000001'],
    ['0002_add_b', '0002'],
    // A description starting with digits is not part of the version.
    ['20240101120000_2fa_setup.js', '20240101120000'],
    ['/20240101120000-2fa-setup', '20240101120000'],
    ['1700000000001_2_columns', '1700000000001'],
    ['0003_2fa', '0003'],
    ['20240101120000.2fa.js', '20240101120000'],
    ['V1.2__x.sql', undefined],
    ['create_users', undefined],
  ])('leadingVersion(%j) = %j', (name, expected) => {
    expect(leadingVersion(name)).toBe(expected);
  });

  it.each([
    ['V1.2__x.sql', '1.2'],
    ['1.1-create-users', '1.1'],
    ['1_2_x', '1_2'],
    ['db/V3__x.sql', '3'],
  ])('leadingVersion(%j, dotted) = %j', (name, expected) => {
    expect(leadingVersion(name, true)).toBe(expected);
  });

  it.each([['flyway_schema_history', true], ['app.knex_migrations', true], ['SequelizeMeta', true], ['x; DROP TABLE y', false], ['"quoted"', false], ['a.b.c', false]])('validTableName(%j) = %j', (name, ok) => {
    expect(validTableName(name)).toBe(ok);
  });
});

describe('flyway', () => {
  it('the last row of a version decides: undone and deleted versions are skipped, baselines kept, the schema marker ignored', () => {
    const row = (rank: number, version: string | null, type: string, success = true) => ({ installed_rank: rank, version, type, script: version ? `V${version}__x.sql` : '<< Flyway Schema Creation >>', installed_by: 'alice', installed_on: '2024-01-01 00:00:00', success });
    expect(brief(parse('flyway', [row(0, null, 'SCHEMA'), row(1, '1', 'BASELINE'), row(2, '2', 'SQL'), row(3, '3', 'JDBC'), row(4, '3', 'UNDO_SQL'), row(5, '4', 'SQL'), row(6, '4', 'DELETE')]))).toEqual([
      'V1 (installed_rank 1) baseline', 'V2 (installed_rank 2) applied', 'V3 (installed_rank 4) skipped (undone by Flyway)', 'V4 (installed_rank 6) skipped (deleted by Flyway)',
    ]);
  });

  it('a failed row is refused', () => {
    expect(() => parse('flyway', [{ installed_rank: 1, version: '1', type: 'SQL', script: 'V1__x.sql', installed_by: 'a', installed_on: null, success: 0 }])).toThrow(/records a failed Flyway migration/);
  });

  it('a repeatable maps by its script and carries the checksum of its latest row', () => {
    const repeatable = (rank: number, checksum: unknown) => ({ installed_rank: rank, version: null, type: 'SQL', script: 'R__views.sql', checksum, installed_by: 'a', installed_on: null, success: true });
    const [entry] = parse('flyway', [repeatable(1, 123), repeatable(2, '-456')]);
    expect(entry).toMatchObject({ key: { kind: 'script', script: 'R__views.sql' }, checksum: -456, state: 'applied' });
    expect(parse('flyway', [repeatable(1, null)])[0]?.checksum).toBeNull();
    expect(parse('flyway', [{ ...repeatable(1, 5), version: '1' }])[0]?.checksum).toBeUndefined();
  });

  it('computes Flyway\'s checksum: CRC-32 over the lines without their breaks, leading BOM dropped, as a signed int', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(flywayChecksum('CREATE VIEW v AS SELECT 1;\n')).toBe(895998086);
    expect(flywayChecksum('CREATE VIEW v AS\nSELECT 1;\n')).toBe(-1106423914);
    // Line endings and a leading BOM do not count; blank lines add nothing.
    expect(flywayChecksum('\uFEFFCREATE VIEW v AS\r\nSELECT 1;\r\n')).toBe(-1106423914);
    expect(flywayChecksum('CREATE VIEW v AS\r\r\nSELECT 1;')).toBe(-1106423914);
    expect(flywayChecksum('CREATE VIEW v AS SELECT 2;\n')).toBe(508201797);
    expect(flywayChecksum('é\n')).toBe(235179326);
    expect(flywayChecksum('')).toBe(0);
  });
});

describe('readers of other tools', () => {
  it('golang-migrate: one clean row is a head; a dirty one is refused with the force command', () => {
    expect(parse('golang-migrate', [{ version: '7', dirty: false }])).toEqual([{ ref: 'version 7', key: { kind: 'version', raw: '7' }, state: 'head' }]);
    expect(parse('golang-migrate', [])).toEqual([]);
    const error = (() => { try { parse('golang-migrate', [{ version: 7, dirty: 1 }]); } catch (e) { return e; } return undefined; })();
    expect(error).toBeInstanceOf(MigratorError);
    expect((error as MigratorError).code).toBe('E_IMPORT_REFUSED');
    expect((error as MigratorError).hint).toBe('Fix the database by hand, then clear the flag with golang-migrate\'s own CLI (its "migrate" command, not this tool): "migrate -path <dir> -database <url> force 7" (or force the previous version if you undid it), and import again. Nothing was written.');
    expect(() => parse('golang-migrate', [{ version: 1, dirty: 0 }, { version: 2, dirty: 0 }])).toThrow(/holds 2 rows/);
  });

  it('schema_migrations: golang-migrate\'s needs the dirty column; dbmate\'s and Rails\'s must not have it', () => {
    expect(TOOL_READERS['golang-migrate'].telltale).toMatchObject({ column: 'dirty', hasIt: true });
    expect(TOOL_READERS['golang-migrate'].telltale?.refusal('schema_migrations').message).toBe("schema_migrations has a version column but no dirty column: it looks like dbmate's or Rails's schema_migrations (one row per applied version), not golang-migrate's");
    for (const tool of ['dbmate', 'rails'] as const) {
      const refusal = TOOL_READERS[tool].telltale?.refusal('schema_migrations');
      expect(TOOL_READERS[tool].telltale).toMatchObject({ column: 'dirty', hasIt: false });
      expect(refusal?.code).toBe('E_IMPORT_REFUSED');
      expect(refusal?.hint).toMatch(/^Use --from golang-migrate/);
    }
  });

  it('goose: the latest row per version decides, version 0 ignored', () => {
    expect(brief(parse('goose', [
      { id: 1, version_id: 0, is_applied: true, tstamp: null },
      { id: 2, version_id: 1, is_applied: true, tstamp: null },
      { id: 3, version_id: 2, is_applied: true, tstamp: null },
      { id: 4, version_id: 2, is_applied: false, tstamp: null },
      { id: 5, version_id: 3, is_applied: false, tstamp: null },
      { id: 6, version_id: 3, is_applied: true, tstamp: '2024-01-01 00:00:00' },
    ]))).toEqual(['version_id 1 applied', 'version_id 2 skipped (rolled back by goose (is_applied false))', 'version_id 3 applied']);
  });

  it('prisma: rolled back migrations are skipped and say why; the latest row of a name decides', () => {
    expect(brief(parse('prisma', [
      { migration_name: '1_a', started_at: 1, finished_at: 2, rolled_back_at: null },
      { migration_name: '2_b', started_at: 1, finished_at: null, rolled_back_at: null },
      { migration_name: '2_b', started_at: 3, finished_at: 4, rolled_back_at: null },
      { migration_name: '3_c', started_at: 1, finished_at: null, rolled_back_at: 5 },
    ]))).toEqual(['1_a applied', '2_b applied', '3_c skipped (rolled back (rolled_back_at is set))']);
  });

  it('prisma: a failed migration (finished_at and rolled_back_at NULL, P3009) is refused with the resolve commands', () => {
    const error = (() => { try { parse('prisma', [{ migration_name: '1_a', started_at: 1, finished_at: 2, rolled_back_at: null }, { migration_name: '2_b', started_at: 3, finished_at: null, rolled_back_at: null }]); } catch (e) { return e; } return undefined; })() as MigratorError;
    expect(error).toBeInstanceOf(MigratorError);
    expect(error.code).toBe('E_IMPORT_REFUSED');
    expect(error.message).toContain('_prisma_migrations records a failed Prisma migration');
    expect(error.message).toContain('2_b');
    expect(error.hint).toContain('prisma migrate resolve --rolled-back 2_b');
    expect(error.hint).toContain('prisma migrate resolve --applied 2_b');
    expect(error.hint).toMatch(/Nothing was written\.$/);
  });

  it('liquibase: EXECUTED, MARK_RAN and RERAN are applied; an id that is no version maps by the file name', () => {
    const entries = parse('liquibase', [
      { id: '1', author: 'a', filename: 'c.xml', dateexecuted: null, orderexecuted: 1, exectype: 'EXECUTED' },
      { id: 'create-users', author: 'a', filename: 'db/20240101_users.sql', dateexecuted: null, orderexecuted: 2, exectype: 'MARK_RAN' },
      { id: '3', author: 'a', filename: 'c.xml', dateexecuted: null, orderexecuted: 3, exectype: 'FAILED' },
    ]);
    expect(entries.map((e) => [e.key, e.state])).toEqual([
      [{ kind: 'version', raw: '1' }, 'applied'], [{ kind: 'name', name: 'db/20240101_users.sql', dotted: false }, 'applied'], [{ kind: 'version', raw: '3' }, 'skipped'],
    ]);
    // Ids that start with a version keep it dotted; file names only when named like Flyway's.
    const key = (id: string, filename: string) => parse('liquibase', [{ id, author: 'a', filename, dateexecuted: null, orderexecuted: 1, exectype: 'EXECUTED' }])[0]?.key;
    expect(key('1.1-create', 'c.xml')).toEqual({ kind: 'name', name: '1.1-create', dotted: true });
    expect(key('x', 'db/V1.2__x.sql')).toEqual({ kind: 'name', name: 'db/V1.2__x.sql', dotted: true });
    expect(key('x', 'db/20240101120000_2fa.sql')).toEqual({ kind: 'name', name: 'db/20240101120000_2fa.sql', dotted: false });
  });

  it('django: one app is imported, the others skipped; several apps need --app', () => {
    const rows = [{ id: 1, app: 'auth', name: '0001_initial', applied: null }, { id: 2, app: 'shop', name: '0001_initial', applied: null }];
    expect(() => parse('django', rows)).toThrow(/holds the migrations of 2 Django apps \(auth, shop\)/);
    expect(brief(TOOL_READERS.django.parse(rows, 'django_migrations', { app: 'shop' }))).toEqual(['auth.0001_initial skipped (another Django app than shop)', 'shop.0001_initial applied']);
    expect(TOOL_READERS.django.parse(rows, 'django_migrations', { app: 'shop' })[0]?.unrelated).toBe(true);
  });

  it('alembic: one head; branches are refused', () => {
    expect(parse('alembic', [{ version_num: 'ae1027a6acf9' }])).toEqual([{ ref: 'revision ae1027a6acf9', key: { kind: 'revision', revision: 'ae1027a6acf9' }, state: 'head' }]);
    expect(() => parse('alembic', [{ version_num: 'a' }, { version_num: 'b' }])).toThrow(/2 heads \(a, b\)/);
  });

  it.each([
    ['knex', { id: 1, name: '20240101_a.js', batch: 1, migration_time: 1704067201000 }, { kind: 'name', name: '20240101_a.js' }],
    ['db-migrate', { id: 1, name: '/20240101-a', run_on: '2024-01-01 00:00:01' }, { kind: 'name', name: '/20240101-a' }],
    ['node-pg-migrate', { id: 1, name: '1700_a', run_on: null }, { kind: 'name', name: '1700_a' }],
    ['sequelize', { name: '20240101-a.js' }, { kind: 'name', name: '20240101-a.js' }],
    ['typeorm', { id: 1, timestamp: '1700000000001', name: 'A1700000000001' }, { kind: 'version', raw: '1700000000001' }],
    ['django', { id: 1, app: 'shop', name: '0001_initial', applied: '2024-01-01 00:00:01' }, { kind: 'name', name: '0001_initial' }],
    ['dbmate', { version: '20240101' }, { kind: 'version', raw: '20240101' }],
    ['rails', { version: '20240101' }, { kind: 'version', raw: '20240101' }],
  ] as const)('%s: one row is one applied entry', (tool, rowValue, key) => {
    const [entry] = parse(tool, [rowValue]);
    expect(entry?.key).toEqual(key);
    expect(entry?.state).toBe('applied');
  });
});
