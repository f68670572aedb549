/**
 * File names under each `migrations.layout` (core/source/layouts.ts) and what `migrate create`
 * writes in each: the grammar of golang-migrate and dbmate as those tools read it, and the refusal
 * of names from another layout.
 */
import { describe, expect, it } from 'vitest';
import { createSequenceVersion, newMigrationFiles } from '../../src/core/source/create.js';
import { classifyFileName, detectLayout, layoutPattern, type Layout } from '../../src/core/source/layouts.js';
import { parseVersion } from '../../src/core/version.js';
import type { Version } from '../../src/core/model.js';

function migration(name: string, layout: Layout): { role: string; version: string | undefined; raw: string | undefined; description: string } {
  const result = classifyFileName(name, layout);
  if (result.kind !== 'migration') throw new Error(`${name} under ${layout}: ${JSON.stringify(result)}`);
  return { role: result.name.role, version: result.name.version?.canonical, raw: result.name.version?.raw, description: result.name.description };
}

function invalidReason(name: string, layout: Layout): string {
  const result = classifyFileName(name, layout);
  if (result.kind !== 'invalid') throw new Error(`${name} under ${layout} is ${result.kind}, not invalid`);
  return result.reason;
}

describe('golang-migrate names: {version}_{title}.up.sql / .down.sql', () => {
  it.each([
    ['000001_create_users.up.sql', 'versioned', '1', '000001', 'create users'],
    ['000001_create_users.down.sql', 'undo', '1', '000001', 'create users'],
    ['20230101120000_add_email.up.sql', 'versioned', '20230101120000', '20230101120000', 'add email'],
    ['1500360784_initialize_schema.down.sql', 'undo', '1500360784', '1500360784', 'initialize schema'],
    // The title may hold dots and underscores; golang-migrate's regex is greedy up to the last .up/.down.
    ['2_add.users_table.up.sql', 'versioned', '2', '2', 'add.users table'],
    ['3_a.up.down.sql', 'undo', '3', '3', 'a.up'],
    // golang-migrate accepts an empty title (its `(.*)`); the description is then empty.
    ['4_.up.sql', 'versioned', '4', '4', ''],
    ['18446744073709551615_max.up.sql', 'versioned', '18446744073709551615', '18446744073709551615', 'max'],
  ])('%s is %s version %s (%s), described "%s"', (name, role, version, raw, description) => {
    expect(migration(name, 'golang-migrate')).toEqual({ role, version, raw, description });
  });

  it('compares versions numerically, so 000010 follows 000009 and equals 10', () => {
    expect(migration('000010_x.up.sql', 'golang-migrate').version).toBe(migration('10_y.down.sql', 'golang-migrate').version);
  });

  it.each([
    ['18446744073709551616_too_big.up.sql', /larger than golang-migrate allows/],
    ['create_users.up.sql', /expected <version>_<title>\.up\.sql or <version>_<title>\.down\.sql, the version being digits/],
    ['1.up.sql', /expected <version>_<title>\.up\.sql/],
    ['1_x.UP.sql', /dbmate file name/],
    ['schema.sql', /expected <version>_<title>\.up\.sql/],
  ])('refuses %s', (name, reason) => {
    expect(invalidReason(name, 'golang-migrate')).toMatch(reason);
  });

  it('ignores files that are not SQL, like golang-migrate ignores other extensions of ours', () => {
    expect(classifyFileName('1_x.up.json', 'golang-migrate').kind).toBe('ignored');
    expect(classifyFileName('README.md', 'golang-migrate').kind).toBe('ignored');
    expect(classifyFileName('migrator.sum', 'golang-migrate').kind).toBe('ignored');
  });
});

describe('dbmate names: {version}_{name}.sql', () => {
  it.each([
    ['20230101120000_create_users.sql', '20230101120000', 'create users'],
    ['001_init.sql', '1', 'init'],
    ['20230101120000_add.email_index.sql', '20230101120000', 'add.email index'],
  ])('%s is version %s, described "%s"', (name, version, description) => {
    expect(migration(name, 'dbmate')).toMatchObject({ role: 'versioned', version, description });
  });

  it.each([
    ['create_users.sql', /expected <version>_<name>\.sql, the version being digits \(usually a UTC timestamp/],
    ['20230101120000.sql', /expected <version>_<name>\.sql/],
    ['20230101120000_.sql', /expected <version>_<name>\.sql/],
  ])('refuses %s', (name, reason) => {
    expect(invalidReason(name, 'dbmate')).toMatch(reason);
  });
});

describe('one directory, one layout', () => {
  it.each([
    ['golang-migrate', 'V1__init.sql', 'flyway'],
    ['golang-migrate', 'R__views.sql', 'flyway'],
    ['golang-migrate', 'V2__backfill.ts', 'flyway'],
    ['golang-migrate', '20230101120000_create_users.sql', 'dbmate'],
    ['dbmate', '000001_create_users.up.sql', 'golang-migrate'],
    ['dbmate', 'U1__init.sql', 'flyway'],
    ['flyway', '000001_create_users.up.sql', 'golang-migrate'],
  ] as const)('under %s, %s is refused as a %s name, with a hint', (layout, name, found) => {
    const result = classifyFileName(name, layout);
    expect(result).toEqual({
      kind: 'invalid',
      reason: `this is a ${found} file name, but migrations.layout is ${layout}, which names files ${layoutPattern(layout)}: one migrations directory holds one layout`,
      hint: `Set migrations.layout: ${found} if every migration is named that way, or rename the file to ${layoutPattern(layout)}.`,
    });
  });

  it('under flyway, a dbmate-like name offers both readings: a V forgotten, or a dbmate directory', () => {
    expect(classifyFileName('20230101_x.sql', 'flyway')).toEqual({
      kind: 'invalid',
      reason: 'expected V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql; if this directory is a dbmate one, set migrations.layout: dbmate',
      hint: 'Rename the file to V<version>__<description>.sql (a missing V?), or, if every migration here is a dbmate file (<version>_<name>.sql), set migrations.layout: dbmate. One migrations directory holds one layout.',
    });
  });

  it('keeps the flyway messages for names no layout knows', () => {
    expect(classifyFileName('v2_init.sql', 'flyway')).toEqual({ kind: 'invalid', reason: 'expected V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql' });
  });

  it.each(['flyway', 'golang-migrate', 'dbmate'] as const)('recognises SQL callbacks under %s', (layout) => {
    expect(classifyFileName('beforeMigrate.sql', layout)).toEqual({ kind: 'callback', event: 'beforeMigrate' });
  });

  it('detects the layout of a name, most specific first', () => {
    expect(['V1__a.sql', '1_a.up.sql', '1_a.sql', 'a.sql'].map(detectLayout)).toEqual(['flyway', 'golang-migrate', 'dbmate', undefined]);
  });
});

describe('what migrate create writes', () => {
  const versions = (...raw: string[]): Version[] => raw.map((r) => parseVersion(r) as Version);

  it('writes each layout\'s files', () => {
    expect(newMigrationFiles('golang-migrate', '000004', 'add_email', 'add email')).toEqual([
      { name: '000004_add_email.up.sql', text: '' },
      { name: '000004_add_email.down.sql', text: '' },
    ]);
    expect(newMigrationFiles('dbmate', '20261121093015', 'add_email', 'add email')).toEqual([
      { name: '20261121093015_add_email.sql', text: '-- migrate:up\n\n\n-- migrate:down\n\n' },
    ]);
    expect(newMigrationFiles('flyway', '20261121093015', 'add_email', 'add email').map((f) => f.name)).toEqual(['V20261121093015__add_email.sql']);
  });

  it('continues a golang-migrate sequence with its width, and uses timestamps otherwise', () => {
    expect(createSequenceVersion('golang-migrate', versions('000001', '000002', '3'), 0)).toBe('000004');
    expect(createSequenceVersion('golang-migrate', versions('000009'), 1)).toBe('000011');
    expect(createSequenceVersion('golang-migrate', versions('9'), 0)).toBe('10');
    expect(createSequenceVersion('golang-migrate', versions('20230101120000'), 0)).toBeUndefined();
    expect(createSequenceVersion('golang-migrate', versions('1500360784'), 0)).toBeUndefined();
    expect(createSequenceVersion('golang-migrate', [], 0)).toBeUndefined();
    expect(createSequenceVersion('dbmate', versions('1'), 0)).toBeUndefined();
    expect(createSequenceVersion('flyway', versions('1'), 0)).toBeUndefined();
  });
});
