import { describe, expect, it } from 'vitest';
import type { HistoryRow, Migration } from '../../src/core/model.js';
import { planDown } from '../../src/core/plan/index.js';
import type { DownTarget } from '../../src/core/plan/index.js';
import { r, row, rows, v } from './plan-fixtures.js';

/** Versions 1 and 2 applied in batch 1, 3 and 4 in batch 2. */
const files = [v('1'), v('2'), v('3'), v('4')];
const history = [...rows(['1', '2'], 1), ...rows(['3', '4'], 2)];

interface Case {
  readonly name: string;
  readonly files?: ReadonlyArray<Migration>;
  readonly history?: ReadonlyArray<HistoryRow>;
  readonly target: DownTarget;
  /** Reverted ids in order, or the error code thrown (and a fragment of its message). */
  readonly expect: ReadonlyArray<string> | { readonly error: string; readonly message?: string };
  readonly to?: string | null;
}

const steps = (count: number): DownTarget => ({ kind: 'steps', count });
const to = (version: string): DownTarget => ({ kind: 'to', version });
const only = (version: string): DownTarget => ({ kind: 'version', version });

const cases: ReadonlyArray<Case> = [
  { name: 'one step', target: steps(1), expect: ['4'], to: '3' },
  { name: 'three steps cross batches', target: steps(3), expect: ['4', '3', '2'], to: '1' },
  { name: 'more steps than applied', target: steps(10), expect: ['4', '3', '2', '1'], to: null },
  { name: 'zero steps is a usage error', target: steps(0), expect: { error: 'E_USAGE' } },
  { name: 'to a version', target: to('2'), expect: ['4', '3'], to: '2' },
  { name: 'to a V-name', target: to('V1'), expect: ['4', '3', '2'], to: '1' },
  { name: 'to 0: everything', target: to('0'), expect: ['4', '3', '2', '1'], to: null },
  { name: 'to the current version: nothing', target: to('4'), expect: [], to: '4' },
  { name: 'to an unknown version', target: to('9'), expect: { error: 'E_UNKNOWN_TARGET' } },
  { name: 'the last batch', target: { kind: 'batch' }, expect: ['4', '3'], to: '2' },
  { name: 'one version', target: only('V3'), expect: ['3'], to: '4' },
  { name: 'a version not applied', files: [...files, v('5')], target: only('5'), expect: { error: 'E_UNKNOWN_TARGET', message: 'pending' } },
  { name: 'a version nobody knows', target: only('7'), expect: { error: 'E_UNKNOWN_TARGET' } },
  {
    name: 'a version another applied one depends on',
    files: [v('1'), v('2'), v('3'), v('4'), v('5', { depends: ['3'] })],
    history: [...history, row('5', { batch: 3 })],
    target: only('3'),
    expect: { error: 'E_DEPENDENT_APPLIED', message: 'cannot revert 3: 5 depends on it and is still applied; revert 5 first' },
  },
  { name: 'reverting the dependent with it is fine', files: [v('1'), v('2'), v('3'), v('4', { depends: ['3'] })], target: to('2'), expect: ['4', '3'] },
  { name: 'reverse plan order within a batch', files: [v('1', { depends: ['2'] }), v('2')], history: [row('2'), row('1')], target: steps(2), expect: ['1', '2'] },
  { name: 'nothing applied: zero steps', history: [], target: steps(1), expect: [], to: null },
  { name: 'marked irreversible', files: [v('1'), v('2'), v('3'), v('4', { irreversible: true })], target: steps(1), expect: { error: 'E_IRREVERSIBLE', message: 'marked `-- migrate:irreversible`' } },
  { name: 'no down script', files: [v('1'), v('2'), v('3'), v('4', { down: false })], target: steps(1), expect: { error: 'E_IRREVERSIBLE', message: 'add migrations/U4__m4.sql or a `-- migrate:down` section' } },
  { name: 'irreversible outside the plan is fine', files: [v('1', { down: false }), v('2'), v('3'), v('4')], target: { kind: 'batch' }, expect: ['4', '3'] },
  { name: 'unknown applied version blocks', files: [v('1'), v('2'), v('3')], target: steps(1), expect: { error: 'E_UNKNOWN_APPLIED' } },
  { name: 'missing file in the plan', files: [v('1'), v('3'), v('4')], target: to('1'), expect: { error: 'E_MISSING_FILE' } },
  { name: 'missing file outside the plan is fine', files: [v('1'), v('3'), v('4')], target: steps(2), expect: ['4', '3'] },
  { name: 'changed file in the plan', files: [v('1'), v('2'), v('3'), v('4', { checksum: 'sha256v1:x' })], target: steps(1), expect: { error: 'E_CHECKSUM_MISMATCH' } },
  { name: 'changed file outside the plan is fine', files: [v('1', { checksum: 'sha256v1:x' }), v('2'), v('3'), v('4')], target: steps(1), expect: ['4'] },
  { name: 'failed row blocks', history: [...history, row('5', { state: 'failed', batch: 3 })], files: [...files, v('5')], target: steps(1), expect: { error: 'E_FAILED_MIGRATION' } },
  { name: 'duplicate file blocks', files: [...files, v('04', { description: 'again' })], target: steps(1), expect: { error: 'E_DUPLICATE_VERSION' } },
  { name: 'out-of-order pending does not block', files: [v('1'), v('2'), v('2.5'), v('3'), v('4')], target: steps(1), expect: ['4'] },
  { name: 'baseline is never reverted', files: [v('6')], history: [row('5', { kind: 'baseline' }), row('6', { batch: 2 })], target: to('0'), expect: ['6'], to: '5' },
  { name: 'repeatables are never reverted', files: [v('1'), r('views')], history: rows(['1', 'R__views']), target: steps(5), expect: ['1'], to: null },
  { name: 'rolled back rows are not reverted again', history: [...rows(['1', '2'], 1), row('3', { batch: 2, state: 'rolled_back' })], target: steps(1), expect: ['2'], to: '1' },
];

describe('planDown', () => {
  it.each(cases)('$name', (c) => {
    const run = () => planDown(c.files ?? files, c.history ?? history, c.target);
    if ('error' in c.expect) {
      const fragment = c.expect.message ?? '';
      expect(run).toThrow(expect.objectContaining({ code: c.expect.error, message: expect.stringContaining(fragment) }));
      return;
    }
    const plan = run();
    expect(plan.direction).toBe('down');
    expect(plan.steps.map((s) => s.migration.id)).toEqual(c.expect);
    for (const step of plan.steps) {
      expect(step.action).toBe('revert');
      expect(step.script).toBe(step.migration.down);
    }
    if (c.to !== undefined) expect(plan.toVersion).toBe(c.to);
    expect(Object.isFrozen(plan) && Object.isFrozen(plan.steps)).toBe(true);
  });

  it('reports from the highest applied version', () => {
    expect(planDown(files, history, steps(2)).fromVersion).toBe('4');
  });

  it('reverts 10,000 applied migrations latest first', () => {
    const count = 10_000;
    const many = Array.from({ length: count }, (_, i) => v(`${i + 1}`, i === 0 ? {} : { depends: [`${i}`] }));
    const plan = planDown(many, many.map((m) => row(m.id)), to('0'));
    expect(plan.steps).toHaveLength(count);
    expect(plan.steps[0]?.migration.id).toBe(`${count}`);
    expect(plan.steps.at(-1)?.migration.id).toBe('1');
  });
});
