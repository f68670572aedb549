import { describe, expect, it } from 'vitest';
import { planUp } from '../../src/core/plan/index.js';
import { planJson, planScript } from '../../src/cli/render/plan.js';
import { renderStatus } from '../../src/cli/render/status.js';
import type { Output } from '../../src/cli/io.js';
import { v } from './plan-fixtures.js';

describe('plan rendering', () => {
  const plan = planUp([v('1')], [], { policy: { outOfOrder: false } });

  it('says a step runs in a transaction only where the engine makes DDL transactional', () => {
    expect(planJson(plan, { transactionalDdl: true, statementTimeout: true }).steps[0]?.transactional).toBe(true);
    expect(planJson(plan, { transactionalDdl: false, statementTimeout: true }).steps[0]?.transactional).toBe(false);
    expect(planScript(plan, 'MySQL x', { transactionalDdl: false, statementTimeout: true })).toContain('[outside a transaction, journaled]');
    expect(planScript(plan, 'SQLite x', { transactionalDdl: true, statementTimeout: false })).not.toContain('outside a transaction');
  });
});

describe('status rendering', () => {
  it('lists the problems even when there is no migration at all (a misspelt --dir)', () => {
    const lines: string[] = [];
    const output: Output = { json: false, line: (text = '') => void lines.push(text), document: () => undefined };
    const problem = { code: 'E_FILE_READ' as const, message: 'migrations directory nope does not exist' };
    renderStatus({ entries: [], problems: [problem], current: null }, 'SQLite x', output);
    expect(lines).toContain('problem[E_FILE_READ]: migrations directory nope does not exist');
  });
});
