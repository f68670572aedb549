/** Mapping another tool's entries onto migration files (src/core/import/map.ts) and the refusals (run.ts). */
import { describe, expect, it } from 'vitest';
import { mapImport, rowsToWrite } from '../../src/core/import/map.js';
import { refusal } from '../../src/core/import/run.js';
import type { ForeignEntry } from '../../src/core/import/types.js';
import { r, row, v } from './plan-fixtures.js';

const applied = (raw: string): ForeignEntry => ({ ref: `v${raw}`, key: { kind: 'version', raw }, state: 'applied', appliedAt: '2024-01-01T00:00:00.000Z', appliedBy: 'alice' });
const named = (name: string): ForeignEntry => ({ ref: name, key: { kind: 'name', name }, state: 'applied' });
const outcomes = (mapping: ReturnType<typeof mapImport>): string[] => mapping.entries.map((e) => `${e.ref} -> ${e.version ?? '-'} ${e.outcome}${e.why ? `: ${e.why}` : ''}`);

describe('mapImport', () => {
  const files = [v('1'), v('1.1'), v('2'), v('20240101120000'), r('views')];

  it('maps versions canonically and names by their leading version; what matches no file is unmapped', () => {
    const mapping = mapImport({ entries: [applied('01'), applied('1.1.0'), named('20240101120000_x.js'), named('30000101_y.js'), named('readme')], migrations: files, history: [] });
    expect(outcomes(mapping)).toEqual([
      'v01 -> 1 import', 'v1.1.0 -> 1.1 import', '20240101120000_x.js -> 20240101120000 import',
      '30000101_y.js -> 30000101 unmapped: no migration file has version 30000101 (from the name "30000101_y.js")',
      'readme -> - unmapped: the name "readme" does not start with a version',
    ]);
    expect(mapping.entries[0]).toMatchObject({ appliedAt: '2024-01-01T00:00:00.000Z', appliedBy: 'alice', kind: 'versioned', migration: { file: 'migrations/V1__m1.sql' } });
    expect(mapping.gaps).toEqual(['2']);
  });

  it('a head implies every lower version; an Alembic revision maps to the one file naming it', () => {
    const head: ForeignEntry = { ref: 'version 2', key: { kind: 'version', raw: '2' }, state: 'head' };
    expect(outcomes(mapImport({ entries: [head], migrations: files, history: [] }))).toEqual(['1 (below version 2) -> 1 import: implied by version 2', '1.1 (below version 2) -> 1.1 import: implied by version 2', 'version 2 -> 2 import']);
    const revision: ForeignEntry = { ref: 'revision abc', key: { kind: 'revision', revision: 'abc' }, state: 'head' };
    expect(outcomes(mapImport({ entries: [revision], migrations: [v('1'), v('2', { description: 'abc_users' })], history: [] })).at(-1)).toBe('revision abc -> 2 import');
    expect(outcomes(mapImport({ entries: [revision], migrations: [v('1')], history: [] }))).toEqual(['revision abc -> - unmapped: Alembic records only its head revision, and no migration file name contains "abc"']);
  });

  it('skipped entries stay skipped; a baseline needs no file; a Flyway repeatable maps by script', () => {
    const entries: ForeignEntry[] = [
      { ref: 'B', key: { kind: 'version', raw: '1.1' }, state: 'baseline' },
      { ref: 'U', key: { kind: 'version', raw: '2' }, state: 'skipped', note: 'undone' },
      { ref: 'R', key: { kind: 'script', script: 'R__views.sql' }, state: 'applied' },
    ];
    const mapping = mapImport({ entries, migrations: files, history: [] });
    expect(outcomes(mapping)).toEqual(['B -> 1.1 import', 'U -> 2 skipped: undone', 'R -> - import']);
    expect(mapping.entries.map((e) => e.kind)).toEqual(['baseline', 'versioned', 'repeatable']);
  });

  it('against migrator history: identical rows are recorded, differing ones conflict, rolled back ones import again', () => {
    const history = [row('1'), row('1.1', { checksum: 'sha256v1:other' }), row('2', { state: 'rolled_back' })];
    expect(outcomes(mapImport({ entries: [applied('1'), applied('1.1'), applied('2')], migrations: files, history }))).toEqual([
      'v1 -> 1 recorded: already in migrator_history', 'v1.1 -> 1.1 conflict: migrator_history already says checksum mismatch', 'v2 -> 2 import',
    ]);
  });

  it('names map by their leading digits: a description starting with digits is not part of the version', () => {
    const mapping = mapImport({ entries: [named('20240101120000_2fa_setup.js'), named('0002_2fa')], migrations: files, history: [] });
    expect(outcomes(mapping)).toEqual(['20240101120000_2fa_setup.js -> 20240101120000 import', '0002_2fa -> 2 import']);
    const dotted: ForeignEntry = { ref: 'c::1.1-x::a', key: { kind: 'name', name: '1.1-x', dotted: true }, state: 'applied' };
    expect(outcomes(mapImport({ entries: [dotted], migrations: files, history: [] }))).toEqual(['c::1.1-x::a -> 1.1 import']);
  });

  it('several entries naming one file, all applied: the file is written once, the others share it', () => {
    const changeset = (id: string): ForeignEntry => ({ ref: `c.sql::${id}::a`, key: { kind: 'name', name: 'db/V2__c.sql', dotted: true }, state: 'applied' });
    const mapping = mapImport({ entries: [changeset('a'), applied('1'), changeset('b'), changeset('c')], migrations: files, history: [] });
    expect(outcomes(mapping)).toEqual(['c.sql::a::a -> 2 import', 'v1 -> 1 import', 'c.sql::b::a -> 2 import: same file as c.sql::a::a', 'c.sql::c::a -> 2 import: same file as c.sql::a::a']);
    expect(mapping.entries.map((e) => e.sameFileAs)).toEqual([undefined, undefined, 'c.sql::a::a', 'c.sql::a::a']);
    expect(rowsToWrite(mapping).map((e) => e.ref)).toEqual(['c.sql::a::a', 'v1']);
    expect(refusal(mapping, { allowUnmapped: false, table: 't', tool: 'liquibase' })).toBeUndefined();
    // Already recorded: every entry of the file says so.
    const recorded = mapImport({ entries: [changeset('a'), changeset('b')], migrations: files, history: [row('2')] });
    expect(recorded.entries.map((e) => e.outcome)).toEqual(['recorded', 'recorded']);
    expect(rowsToWrite(recorded)).toEqual([]);
  });

  it('several entries naming one file, some not applied: every one is partial, and the import is refused naming them', () => {
    const changeset = (id: string, state: ForeignEntry['state']): ForeignEntry => ({ ref: `c.sql::${id}::a`, key: { kind: 'name', name: 'db/V2__c.sql', dotted: true }, state, ...(state === 'skipped' ? { note: 'EXECTYPE FAILED' } : {}) });
    const mapping = mapImport({ entries: [changeset('a', 'applied'), changeset('b', 'skipped')], migrations: files, history: [] });
    expect(outcomes(mapping)).toEqual([
      'c.sql::a::a -> 2 partial: migrations/V2__m2.sql is also named by c.sql::b::a, which was not applied',
      'c.sql::b::a -> 2 partial: EXECTYPE FAILED, while c.sql::a::a of the same file was applied',
    ]);
    expect(rowsToWrite(mapping)).toEqual([]);
    const refused = refusal(mapping, { allowUnmapped: true, table: 'DATABASECHANGELOG', tool: 'liquibase' });
    expect(refused?.code).toBe('E_IMPORT_REFUSED');
    expect(refused?.message).toMatch(/^cannot import liquibase history from DATABASECHANGELOG: migrations\/V2__m2\.sql is named by entries of which only some were applied: c\.sql::a::a .*; c\.sql::b::a/);
    // None applied: simply skipped; another Django app's entry never counts against a file.
    expect(mapImport({ entries: [changeset('b', 'skipped')], migrations: files, history: [] }).entries.map((e) => e.outcome)).toEqual(['skipped']);
    const otherApp: ForeignEntry = { ...named('0001_initial'), ref: 'auth.0001_initial', state: 'skipped', unrelated: true, note: 'another Django app than shop' };
    expect(outcomes(mapImport({ entries: [otherApp, { ...named('0001_initial'), ref: 'shop.0001_initial' }], migrations: files, history: [] }))).toEqual(['auth.0001_initial -> 1 skipped: another Django app than shop', 'shop.0001_initial -> 1 import']);
  });

  it('a Flyway repeatable is imported only when the file still has the checksum Flyway recorded', () => {
    const repeatable = (checksum: number | null): ForeignEntry => ({ ref: 'R__views.sql (installed_rank 3)', key: { kind: 'script', script: 'R__views.sql' }, state: 'applied', checksum });
    const sums = new Map([['R__views', 895998086]]);
    expect(outcomes(mapImport({ entries: [repeatable(895998086)], migrations: files, history: [], flywayChecksums: sums }))).toEqual(['R__views.sql (installed_rank 3) -> - import']);
    const changed = mapImport({ entries: [repeatable(508201797)], migrations: files, history: [], flywayChecksums: sums });
    expect(outcomes(changed)).toEqual(['R__views.sql (installed_rank 3) -> - skipped: changed since Flyway last applied it (Flyway\'s checksum 508201797, the file\'s 895998086): not imported, so it stays pending and "migrate up" re-applies it']);
    expect(rowsToWrite(changed)).toEqual([]);
    expect(mapImport({ entries: [repeatable(null)], migrations: files, history: [], flywayChecksums: sums }).entries[0]?.why).toMatch(/Flyway recorded no checksum for it/);
    expect(mapImport({ entries: [repeatable(895998086)], migrations: files, history: [] }).entries[0]?.outcome).toBe('skipped');
  });
});

describe('refusal', () => {
  const base = { allowUnmapped: false, table: 't', tool: 'knex' };
  it('refuses unmapped entries unless allowed, and conflicts always', () => {
    const unmapped = mapImport({ entries: [applied('9')], migrations: [v('1')], history: [] });
    expect(refusal(unmapped, base)?.message).toBe('cannot import knex history from t: 1 entry matches no migration file: v9 (no migration file has version 9)');
    expect(refusal(unmapped, { ...base, allowUnmapped: true })).toBeUndefined();
    const conflict = mapImport({ entries: [applied('1')], migrations: [v('1')], history: [row('1', { state: 'failed' })] });
    expect(refusal(conflict, { ...base, allowUnmapped: true })?.code).toBe('E_IMPORT_REFUSED');
    expect(refusal(mapImport({ entries: [applied('1')], migrations: [v('1')], history: [] }), base)).toBeUndefined();
  });
});
