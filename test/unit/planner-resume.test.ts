/**
 * `planUp` with `resume`: a failed or interrupted journaled `up` is continued first, after its last
 * recorded statement; everything else that blocks `up` still blocks it.
 */
import { describe, expect, it } from 'vitest';
import { ProblemsError } from '../../src/core/errors.js';
import type { HistoryRow, Migration } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import type { Plan } from '../../src/core/plan/index.js';
import { prefixHash } from '../../src/core/journal-hash.js';
import { row, rows, v as baseV } from './plan-fixtures.js';
import type { RowOptions } from './plan-fixtures.js';

/** Every migration here has four statements, so a row can stop part-way through one. */
const STATEMENTS = [1, 2, 3, 4].map((n) => ({ sql: `SELECT ${n}`, line: n, column: 1 }));
const v = (...args: Parameters<typeof baseV>): Migration => {
  const m = baseV(...args);
  return { ...m, up: { ...m.up, statements: STATEMENTS } };
};
/** The recorded running hash after the first `applied` statements: what a resume verifies. */
const hashOf = (applied: number): string | null => prefixHash(STATEMENTS.slice(0, applied));

/** A journaled row stopped after `applied` of `total` statements, going `direction`. */
function stopped(id: string, state: 'failed' | 'in_progress', applied: number, options: { direction?: 'up' | 'down' | null; total?: number; batch?: number } & RowOptions = {}): HistoryRow {
  const direction = options.direction === undefined ? 'up' : options.direction;
  return {
    ...row(id, { ...options, state, statementsApplied: applied, statementsTotal: options.total ?? 4 }),
    appliedHash: hashOf(applied),
    error: direction === null ? null : JSON.stringify({ code: 'E_MIGRATION_FAILED', message: 'boom', direction }),
  };
}

interface Case {
  readonly name: string;
  readonly files: ReadonlyArray<Migration>;
  readonly history: ReadonlyArray<HistoryRow>;
  readonly resume: boolean;
  /** `action id` per step, or the error code thrown and the codes of every problem. */
  readonly expect: ReadonlyArray<string> | { readonly error: string; readonly problems: ReadonlyArray<string> };
  /** The `resume` of the first step, when it is one. */
  readonly resumeFrom?: { readonly from: number; readonly appliedHash: string | null };
  readonly from?: string | null;
  readonly to?: string | null;
}

const cases: ReadonlyArray<Case> = [
  {
    name: 'failed up row is resumed first, then pending ones',
    files: [v('1'), v('2'), v('3'), v('4')],
    history: [row('1'), stopped('2', 'failed', 2, { batch: 2 })],
    resume: true,
    expect: ['resume 2', 'apply 3', 'apply 4'],
    resumeFrom: { from: 2, appliedHash: hashOf(2) },
    from: '1',
    to: '4',
  },
  {
    name: 'in_progress up row (the run died) is resumed too',
    files: [v('1'), v('2'), v('3')],
    history: [row('1'), stopped('2', 'in_progress', 3)],
    resume: true,
    expect: ['resume 2', 'apply 3'],
    resumeFrom: { from: 3, appliedHash: hashOf(3) },
    from: '1',
    to: '3',
  },
  {
    name: 'failed at the first statement: resumed from 0 with no hash',
    files: [v('1')],
    history: [stopped('1', 'failed', 0)],
    resume: true,
    expect: ['resume 1'],
    resumeFrom: { from: 0, appliedHash: null },
    from: null,
    to: '1',
  },
  {
    name: 'failed row without error detail counts as an up',
    files: [v('1'), v('2')],
    history: [row('1'), stopped('2', 'failed', 1, { direction: null })],
    resume: true,
    expect: ['resume 2'],
    resumeFrom: { from: 1, appliedHash: hashOf(1) },
  },
  {
    name: 'only the resumed row, nothing else pending',
    files: [v('1'), v('2')],
    history: [row('1'), stopped('2', 'failed', 1)],
    resume: true,
    expect: ['resume 2'],
    from: '1',
    to: '2',
  },
  {
    name: 'resume with nothing failed is a plain up',
    files: [v('1'), v('2')],
    history: rows(['1']),
    resume: true,
    expect: ['apply 2'],
  },
  {
    name: 'without resume a failed up row blocks',
    files: [v('1'), v('2'), v('3')],
    history: [row('1'), stopped('2', 'failed', 2)],
    resume: false,
    expect: { error: 'E_FAILED_MIGRATION', problems: ['E_FAILED_MIGRATION'] },
  },
  {
    name: 'without resume an in_progress row blocks',
    files: [v('1'), v('2')],
    history: [row('1'), stopped('2', 'in_progress', 1)],
    resume: false,
    expect: { error: 'E_FAILED_MIGRATION', problems: ['E_FAILED_MIGRATION'] },
  },
  {
    name: 'a failed down row blocks even with resume',
    files: [v('1'), v('2'), v('3')],
    history: [row('1'), stopped('2', 'failed', 1, { direction: 'down' })],
    resume: true,
    expect: { error: 'E_FAILED_MIGRATION', problems: ['E_FAILED_MIGRATION'] },
  },
  {
    name: 'an in_progress down row blocks even with resume',
    files: [v('1'), v('2')],
    history: [row('1'), stopped('2', 'in_progress', 1, { direction: 'down' })],
    resume: true,
    expect: { error: 'E_FAILED_MIGRATION', problems: ['E_FAILED_MIGRATION'] },
  },
  {
    name: 'a failed row whose file is gone blocks even with resume',
    files: [v('1'), v('3')],
    history: [row('1'), stopped('2', 'failed', 1)],
    resume: true,
    expect: { error: 'E_FAILED_MIGRATION', problems: ['E_FAILED_MIGRATION'] },
  },
  {
    name: 'a checksum mismatch of another version still blocks with resume',
    files: [v('1', { checksum: 'sha256v1:edited' }), v('2'), v('3')],
    history: [row('1'), stopped('2', 'failed', 1)],
    resume: true,
    expect: { error: 'E_CHECKSUM_MISMATCH', problems: ['E_CHECKSUM_MISMATCH'] },
  },
  {
    name: 'a missing dependency still blocks with resume',
    files: [v('1'), v('2'), v('3', { depends: ['9'] })],
    history: [row('1'), stopped('2', 'failed', 1)],
    resume: true,
    expect: { error: 'E_MISSING_DEPENDENCY', problems: ['E_MISSING_DEPENDENCY'] },
  },
  {
    name: 'the resumable row is not reported next to the other problems, a failed down row is',
    files: [v('1', { checksum: 'sha256v1:edited' }), v('2'), v('3')],
    history: [row('1'), stopped('2', 'failed', 1), stopped('3', 'failed', 1, { direction: 'down', batch: 2 })],
    resume: true,
    expect: { error: 'E_CHECKSUM_MISMATCH', problems: ['E_CHECKSUM_MISMATCH', 'E_FAILED_MIGRATION'] },
  },
];

const run = (c: Case): Plan => planUp(c.files, c.history, { policy: { outOfOrder: false }, resume: c.resume });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('planUp with resume', () => {
  it.each(cases)('$name', (c) => {
    if ('error' in c.expect) {
      const error = thrown(() => run(c));
      expect(error).toBeInstanceOf(ProblemsError);
      expect((error as ProblemsError).code).toBe(c.expect.error);
      expect((error as ProblemsError).problems.map((p) => p.code)).toEqual(c.expect.problems);
      return;
    }
    const plan = run(c);
    expect(plan.direction).toBe('up');
    expect(plan.steps.map((s) => `${s.action} ${s.migration.id}`)).toEqual(c.expect);
    for (const step of plan.steps) {
      expect(step.script).toBe(step.migration.up);
      if (step.action !== 'resume') expect(step.resume).toBeUndefined();
    }
    if (c.resumeFrom !== undefined) expect(plan.steps[0]?.resume).toEqual(c.resumeFrom);
    if (c.from !== undefined) expect(plan.fromVersion).toBe(c.from);
    if (c.to !== undefined) expect(plan.toVersion).toBe(c.to);
    expect(Object.isFrozen(plan) && Object.isFrozen(plan.steps) && plan.steps.every(Object.isFrozen)).toBe(true);
  });

  it('names the failed down row and its direction in the problem', () => {
    const history = [row('1'), stopped('2', 'failed', 1, { direction: 'down' })];
    const error = thrown(() => planUp([v('1'), v('2')], history, { policy: { outOfOrder: false }, resume: true })) as ProblemsError;
    expect(error.problems[0]?.details).toMatchObject({ version: '2', state: 'failed', direction: 'down', statementsApplied: 1 });
  });
});
