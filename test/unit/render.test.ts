import { describe, expect, it } from 'vitest';
import { planUp } from '../../src/core/plan/index.js';
import { planJson, planScript } from '../../src/cli/render/plan.js';
import { renderStatus } from '../../src/cli/render/status.js';
import type { Output } from '../../src/cli/io.js';
import type { Migration } from '../../src/core/model.js';
import { v } from './plan-fixtures.js';

describe('plan rendering', () => {
  const plan = planUp([v('1')], [], { policy: { outOfOrder: false } });

  it('says a step runs in a transaction where the engine makes DDL transactional, or where it has only data statements', () => {
    const [migration] = plan.steps.map((step) => step.migration);
    const withDdl = { ...migration, up: { ...migration!.up, statements: [{ sql: 'CREATE TABLE t (id int)', line: 1, column: 1 }, ...migration!.up.statements] } } as Migration;
    const ddl = planUp([withDdl], [], { policy: { outOfOrder: false } });
    expect(planJson(ddl, { transactionalDdl: true, statementTimeout: true }).steps[0]?.transactional).toBe(true);
    expect(planJson(ddl, { transactionalDdl: false, statementTimeout: true }).steps[0]?.transactional).toBe(false);
    expect(planScript(ddl, 'MySQL x', { transactionalDdl: false, statementTimeout: true })).toContain('[outside a transaction, journaled]');
    expect(planScript(ddl, 'SQLite x', { transactionalDdl: true, statementTimeout: false })).not.toContain('outside a transaction');
    // Its only statement is SELECT 1: nothing in it commits by itself, on any engine.
    expect(planJson(plan, { transactionalDdl: false, statementTimeout: true }).steps[0]?.transactional).toBe(true);
    expect(planScript(plan, 'MySQL x', { transactionalDdl: false, statementTimeout: true })).not.toContain('outside a transaction');
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
