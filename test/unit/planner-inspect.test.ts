import { describe, expect, it } from 'vitest';
import type { HistoryRow, Migration } from '../../src/core/model.js';
import { inspect } from '../../src/core/plan/index.js';
import { r, row, rows, v } from './plan-fixtures.js';

interface Case {
  readonly name: string;
  readonly files: ReadonlyArray<Migration>;
  readonly history?: ReadonlyArray<HistoryRow>;
  readonly outOfOrder?: boolean;
  /** `id=state` in entry order. */
  readonly entries: ReadonlyArray<string>;
  readonly problems?: ReadonlyArray<string>;
  readonly current?: string | null;
}

const cases: ReadonlyArray<Case> = [
  { name: 'versions order numerically part by part', files: [v('2'), v('1.10'), v('1.9')], entries: ['1.9=pending', '1.10=pending', '2=pending'], current: null },
  { name: 'depends overrides version order', files: [v('1', { depends: ['3'] }), v('2'), v('3')], entries: ['2=pending', '3=pending', '1=pending'] },
  { name: 'repeatables after versioned, by description', files: [r('b'), r('a'), v('2'), v('1')], entries: ['1=pending', '2=pending', 'R__a=pending', 'R__b=pending'] },
  { name: 'repeatable depending on another repeatable', files: [r('a', { depends: ['R__b'] }), r('b')], entries: ['R__b=pending', 'R__a=pending'] },
  { name: 'duplicate ids', files: [v('1', { description: 'a' }), v('01', { description: 'b' }), v('1.0', { description: 'c' })], entries: ['1=pending'], problems: ['E_DUPLICATE_VERSION', 'E_DUPLICATE_VERSION'] },
  { name: 'missing dependency', files: [v('3', { depends: ['7'] })], entries: ['3=pending'], problems: ['E_MISSING_DEPENDENCY'] },
  { name: 'cycle', files: [v('1', { depends: ['3'] }), v('3', { depends: ['5'] }), v('5', { depends: ['1'] }), v('0.5')], entries: ['0.5=pending', '1=pending', '3=pending', '5=pending'], problems: ['E_DEPENDENCY_CYCLE'] },
  { name: 'applied and unchanged', files: [v('1'), v('2')], history: rows(['1', '2']), entries: ['1=applied', '2=applied'], current: '2' },
  { name: 'checksum mismatch', files: [v('1', { checksum: 'sha256v1:new' })], history: rows(['1']), entries: ['1=checksum_mismatch'], problems: ['E_CHECKSUM_MISMATCH'] },
  { name: 'changed repeatable is outdated, not a problem', files: [v('1'), r('views', { checksum: 'sha256v1:new' })], history: rows(['1', 'R__views']), entries: ['1=applied', 'R__views=outdated'] },
  { name: 'applied file deleted', files: [v('1'), v('3')], history: rows(['1', '2', '3']), entries: ['1=applied', '2=missing_file', '3=applied'], problems: ['E_MISSING_FILE'], current: '3' },
  { name: 'applied version above every file', files: [v('1')], history: rows(['1', '2']), entries: ['1=applied', '2=unknown'], problems: ['E_UNKNOWN_APPLIED'], current: '2' },
  { name: 'rolled_back row without file is history', files: [v('1')], history: [row('1'), row('2', { state: 'rolled_back' })], entries: ['1=applied'], current: '1' },
  { name: 'rolled_back row with file is pending again', files: [v('1'), v('2')], history: [row('1'), row('2', { state: 'rolled_back' })], entries: ['1=applied', '2=pending'], current: '1' },
  { name: 'latest batch decides', files: [v('1')], history: [row('1', { batch: 1 }), row('1', { state: 'rolled_back', batch: 2 })], entries: ['1=pending'], current: null },
  { name: 'reapplied after rollback', files: [v('1')], history: [row('1', { state: 'rolled_back', batch: 1 }), row('1', { batch: 3 })], entries: ['1=applied'], current: '1' },
  { name: 'baseline row without file', files: [v('6')], history: [row('5', { kind: 'baseline' })], entries: ['5=applied', '6=pending'], current: '5' },
  { name: 'baseline covers lower files', files: [v('1'), v('5'), v('6')], history: [row('5', { kind: 'baseline', checksum: '' })], entries: ['1=applied', '5=applied', '6=pending'], current: '5' },
  { name: 'failed row', files: [v('1'), v('2')], history: [row('1'), row('2', { state: 'failed', statementsApplied: 2, statementsTotal: 5 })], entries: ['1=applied', '2=failed'], problems: ['E_FAILED_MIGRATION'], current: '1' },
  { name: 'in_progress row without file', files: [v('1')], history: [row('1'), row('2', { state: 'in_progress' })], entries: ['1=applied', '2=in_progress'], problems: ['E_FAILED_MIGRATION'] },
  { name: 'pending below highest applied', files: [v('1'), v('2'), v('3')], history: rows(['1', '3']), entries: ['1=applied', '3=applied', '2=out_of_order'], problems: ['E_OUT_OF_ORDER'] },
  { name: 'out of order allowed', files: [v('1'), v('2'), v('3')], history: rows(['1', '3']), outOfOrder: true, entries: ['1=applied', '3=applied', '2=pending'] },
  { name: 'recorded entries in batch order', files: [v('1'), v('2'), v('3')], history: [row('2', { batch: 1 }), row('1', { batch: 2 })], outOfOrder: true, entries: ['2=applied', '1=applied', '3=pending'], current: '2' },
  { name: 'file problems first', files: [v('1', { checksum: 'sha256v1:x' }), v('2', { description: 'a' }), v('02', { description: 'b' })], history: rows(['1']), entries: ['1=checksum_mismatch', '2=pending'], problems: ['E_DUPLICATE_VERSION', 'E_CHECKSUM_MISMATCH'] },
  { name: 'deleted repeatable is shown, not a problem', files: [v('1')], history: rows(['1', 'R__old']), entries: ['1=applied', 'R__old=missing_file'] },
];

describe('inspect', () => {
  it.each(cases)('$name', (c) => {
    const result = inspect(c.files, c.history ?? [], { outOfOrder: c.outOfOrder ?? false });
    expect(result.entries.map((e) => `${e.id}=${e.state}`)).toEqual(c.entries);
    expect(result.problems.map((p) => p.code)).toEqual(c.problems ?? []);
    if (c.current !== undefined) expect(result.current).toBe(c.current);
    expect(Object.isFrozen(result) && Object.isFrozen(result.entries)).toBe(true);
  });
});

describe('inspect problem messages', () => {
  const only = (files: ReadonlyArray<Migration>, history: ReadonlyArray<HistoryRow> = []) => {
    const [problem, ...rest] = inspect(files, history, { outOfOrder: false }).problems;
    expect(rest).toEqual([]);
    return problem;
  };

  it('names both files of a duplicate, at the second', () => {
    const p = only([v('1', { description: 'a' }), v('01', { description: 'b' })]);
    expect(p?.message).toBe('version 1 is defined twice: migrations/V1__a.sql and migrations/V01__b.sql');
    expect(p?.at).toEqual({ file: 'migrations/V01__b.sql' });
    expect(p?.hint).toMatch(/renumber/);
  });

  it('names the missing dependency at the depending file', () => {
    const p = only([v('3', { depends: ['7'] })]);
    expect(p?.message).toContain('depends on 7');
    expect(p?.at).toEqual({ file: 'migrations/V3__m3.sql' });
  });

  it.each([
    { files: [v('5', { depends: ['1'] }), v('3', { depends: ['5'] }), v('1', { depends: ['3'] })], cycle: '1 -> 3 -> 5 -> 1', file: 'migrations/V1__m1.sql' },
    { files: [r('a', { depends: ['R__b'] }), r('b', { depends: ['R__a'] })], cycle: 'R__a -> R__b -> R__a', file: 'migrations/R__a.sql' },
    { files: [v('2', { depends: ['2'] })], cycle: '2 -> 2', file: 'migrations/V2__m2.sql' },
    { files: [v('9', { depends: ['4'] }), v('4', { depends: ['R__x'] }), r('x', { depends: ['4'] })], cycle: '4 -> R__x -> 4', file: 'migrations/V4__m4.sql' },
  ])('prints the cycle $cycle', ({ files, cycle, file }) => {
    const p = only(files);
    expect(p?.code).toBe('E_DEPENDENCY_CYCLE');
    expect(p?.message).toContain(cycle);
    expect(p?.at).toEqual({ file });
  });

  it('reports each of two separate cycles', () => {
    const files = [v('1', { depends: ['2'] }), v('2', { depends: ['1'] }), v('3', { depends: ['4'] }), v('4', { depends: ['3'] })];
    const messages = inspect(files, [], { outOfOrder: false }).problems.map((p) => p.message);
    expect(messages).toEqual([expect.stringContaining('1 -> 2 -> 1'), expect.stringContaining('3 -> 4 -> 3')]);
  });

  it('gives recorded and found checksums of a changed applied file', () => {
    const p = only([v('1', { checksum: 'sha256v1:new' })], [row('1')]);
    expect(p?.details).toEqual({ version: '1', file: 'migrations/V1__m1.sql', recorded: 'sha256v1:1', found: 'sha256v1:new' });
    expect(p?.message).toContain('version 1');
    expect(p?.hint).toMatch(/migrate repair/);
    expect(p?.hint).toMatch(/never re-runs/);
  });

  it('explains version skew for an unknown applied version', () => {
    const p = only([v('1')], rows(['1', '9']));
    expect(p?.message).toBe('the database has version 9 applied, which this checkout does not know; it was migrated by a newer checkout');
    expect(p?.hint).toMatch(/update your checkout/);
  });

  it('gives statement counts of a failed migration and both ways out', () => {
    const p = only([v('1'), v('2')], [row('1'), row('2', { state: 'failed', statementsApplied: 2, statementsTotal: 5 })]);
    expect(p?.message).toContain('2 of 5 statements');
    expect(p?.details).toMatchObject({ version: '2', statementsApplied: 2, statementsTotal: 5 });
    expect(p?.hint).toMatch(/migrate up --resume/);
    expect(p?.hint).toMatch(/migrate repair/);
  });

  it('suggests renumbering an out-of-order migration above the current version', () => {
    const p = only([v('1'), v('2'), v('3')], rows(['1', '3']));
    expect(p?.hint).toContain('renumber it above 3');
    expect(p?.hint).toContain('order: allow-out-of-order');
  });

  it('marks reversible entries', () => {
    const entries = inspect([v('1'), v('2', { down: false }), v('3', { irreversible: true }), r('x')], [], { outOfOrder: false }).entries;
    expect(entries.map((e) => e.reversible)).toEqual([true, false, false, false]);
  });
});
