import { describe, expect, it } from 'vitest';
import { MigratorError, ProblemsError } from '../../src/core/errors.js';
import type { HistoryRow, Migration } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import type { Plan } from '../../src/core/plan/index.js';
import { r, row, rows, v } from './plan-fixtures.js';

interface Case {
  readonly name: string;
  readonly files: ReadonlyArray<Migration>;
  readonly history?: ReadonlyArray<HistoryRow>;
  readonly outOfOrder?: boolean;
  readonly target?: string;
  /** `action id` per step, or the error code thrown. */
  readonly expect: ReadonlyArray<string> | { readonly error: string };
  readonly from?: string | null;
  readonly to?: string | null;
}

const cases: ReadonlyArray<Case> = [
  { name: '1.9 < 1.10 < 2', files: [v('2'), v('1.10'), v('1.9')], expect: ['apply 1.9', 'apply 1.10', 'apply 2'], from: null, to: '2' },
  { name: 'depends overrides version order', files: [v('1', { depends: ['2'] }), v('2'), v('3')], expect: ['apply 2', 'apply 1', 'apply 3'] },
  { name: 'repeatables after versioned', files: [r('views'), v('2'), v('1')], expect: ['apply 1', 'apply 2', 'apply R__views'], to: '2' },
  { name: 'repeatable depending on another repeatable', files: [r('a', { depends: ['R__b'] }), r('b'), v('1')], expect: ['apply 1', 'apply R__b', 'apply R__a'] },
  { name: 'versioned depending on a repeatable', files: [v('2', { depends: ['R__z'] }), r('z'), v('1')], expect: ['apply 1', 'apply R__z', 'apply 2'] },
  { name: 'only pending ones', files: [v('1'), v('2'), v('3')], history: rows(['1']), expect: ['apply 2', 'apply 3'], from: '1', to: '3' },
  { name: 'rolled_back row is planned again', files: [v('1'), v('2')], history: [row('1'), row('2', { state: 'rolled_back', batch: 2 })], expect: ['apply 2'], from: '1', to: '2' },
  { name: 'outdated repeatable is reapplied, unchanged one is not', files: [v('1'), r('a', { checksum: 'sha256v1:new' }), r('b')], history: rows(['1', 'R__a', 'R__b']), expect: ['reapply R__a'], from: '1', to: '1' },
  { name: 'nothing pending: zero steps', files: [v('1'), v('2'), r('a')], history: rows(['1', '2', 'R__a']), expect: [], from: '2', to: '2' },
  { name: 'nothing at all: zero steps', files: [], expect: [], from: null, to: null },
  { name: 'below a baseline: not planned', files: [v('1'), v('5'), v('6')], history: [row('5', { kind: 'baseline' })], expect: ['apply 6'], from: '5', to: '6' },
  { name: 'out of order refused', files: [v('1'), v('2'), v('3')], history: rows(['1', '3']), expect: { error: 'E_OUT_OF_ORDER' } },
  { name: 'a version reverted on purpose below the highest is pending again, not out of order', files: [v('1'), v('2'), v('3')], history: [row('1'), row('3'), row('2', { state: 'rolled_back', batch: 2 })], expect: ['apply 2'], from: '3', to: '3' },
  { name: 'out of order allowed', files: [v('1'), v('2'), v('3')], history: rows(['1', '3']), outOfOrder: true, expect: ['apply 2'], from: '3', to: '3' },
  { name: 'failed row blocks', files: [v('1'), v('2'), v('3')], history: [row('1'), row('2', { state: 'failed' })], expect: { error: 'E_FAILED_MIGRATION' } },
  { name: 'in_progress row blocks', files: [v('1'), v('2')], history: [row('1'), row('2', { state: 'in_progress' })], expect: { error: 'E_FAILED_MIGRATION' } },
  { name: 'checksum mismatch blocks', files: [v('1', { checksum: 'sha256v1:x' }), v('2')], history: rows(['1']), expect: { error: 'E_CHECKSUM_MISMATCH' } },
  { name: 'missing file blocks', files: [v('1'), v('3')], history: rows(['1', '2', '3']), expect: { error: 'E_MISSING_FILE' } },
  { name: 'unknown applied blocks', files: [v('1')], history: rows(['1', '2']), expect: { error: 'E_UNKNOWN_APPLIED' } },
  { name: 'duplicate blocks', files: [v('1', { description: 'a' }), v('1.0', { description: 'b' })], expect: { error: 'E_DUPLICATE_VERSION' } },
  { name: 'missing dependency blocks', files: [v('1', { depends: ['R__nope'] })], expect: { error: 'E_MISSING_DEPENDENCY' } },
  { name: 'cycle blocks', files: [v('1', { depends: ['2'] }), v('2', { depends: ['1'] })], expect: { error: 'E_DEPENDENCY_CYCLE' } },
  { name: 'target as V-name', files: [v('1'), v('2'), v('3'), r('x')], target: 'V2', expect: ['apply 1', 'apply 2'], from: null, to: '2' },
  { name: 'target with leading zeros', files: [v('1'), v('1.2'), v('1.10')], target: '1.02', expect: ['apply 1', 'apply 1.2'], to: '1.2' },
  { name: 'target already applied: zero steps', files: [v('1'), v('2'), v('3')], history: rows(['1', '2']), target: '1', expect: [], from: '2', to: '2' },
  { name: 'target includes its own earlier dependency', files: [v('1'), v('2', { depends: ['1'] }), v('3')], target: '2', expect: ['apply 1', 'apply 2'] },
  { name: 'unknown target', files: [v('1')], target: 'V9', expect: { error: 'E_UNKNOWN_TARGET' } },
  { name: 'target that is not a version', files: [v('1')], target: 'latest', expect: { error: 'E_UNKNOWN_TARGET' } },
  { name: 'repeatable as target', files: [v('1'), r('x')], target: 'R__x', expect: { error: 'E_UNKNOWN_TARGET' } },
  { name: 'dependency beyond the target', files: [v('1'), v('2', { depends: ['3'] }), v('3')], target: '2', expect: { error: 'E_MISSING_DEPENDENCY' } },
  { name: 'pending repeatable dependency with a target', files: [v('1', { depends: ['R__x'] }), r('x')], target: '1', expect: { error: 'E_MISSING_DEPENDENCY' } },
];

function run(c: Case): Plan {
  const options = c.target === undefined ? { policy: { outOfOrder: c.outOfOrder ?? false } } : { policy: { outOfOrder: c.outOfOrder ?? false }, target: c.target };
  return planUp(c.files, c.history ?? [], options);
}

describe('planUp', () => {
  it.each(cases)('$name', (c) => {
    if ('error' in c.expect) {
      expect(() => run(c)).toThrow(expect.objectContaining({ code: c.expect.error }));
      return;
    }
    const plan = run(c);
    expect(plan.direction).toBe('up');
    expect(plan.steps.map((s) => `${s.action} ${s.migration.id}`)).toEqual(c.expect);
    for (const step of plan.steps) expect(step.script).toBe(step.migration.up);
    if (c.from !== undefined) expect(plan.fromVersion).toBe(c.from);
    if (c.to !== undefined) expect(plan.toVersion).toBe(c.to);
    expect(Object.isFrozen(plan) && Object.isFrozen(plan.steps) && plan.steps.every(Object.isFrozen)).toBe(true);
  });

  it('throws every blocking problem at once, file problems first', () => {
    const files = [v('1', { checksum: 'sha256v1:x' }), v('2', { depends: ['8'] })];
    const history = [row('1'), row('3', { state: 'failed' })];
    const error = catchError(() => planUp(files, history, { policy: { outOfOrder: false } }));
    expect(error).toBeInstanceOf(ProblemsError);
    expect((error as ProblemsError).problems.map((p) => p.code)).toEqual(['E_MISSING_DEPENDENCY', 'E_CHECKSUM_MISMATCH', 'E_FAILED_MIGRATION']);
    expect((error as ProblemsError).code).toBe('E_MISSING_DEPENDENCY');
  });

  it('explains a dependency beyond the target', () => {
    const error = catchError(() => planUp([v('1'), v('2', { depends: ['3'] }), v('3')], [], { policy: { outOfOrder: false }, target: '2' }));
    expect(error).toBeInstanceOf(MigratorError);
    expect((error as MigratorError).message).toContain('version 2 (migrations/V2__m2.sql) depends on 3');
    expect((error as MigratorError).message).toContain('beyond the target 2');
  });

  it('plans a 10,000-migration dependency chain in order', () => {
    const count = 10_000;
    const files = Array.from({ length: count }, (_, i) => v(`${count - i}`, { depends: i === count - 1 ? [] : [`${count - i - 1}`] }));
    const plan = planUp(files, [], { policy: { outOfOrder: false } });
    expect(plan.steps).toHaveLength(count);
    expect(plan.steps[0]?.migration.id).toBe('1');
    expect(plan.steps.every((s, i) => s.migration.id === `${i + 1}`)).toBe(true);
    expect(plan.toVersion).toBe(`${count}`);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
