/**
 * Rows a statement wrote travel from `Driver.execute` to the `statement.executed` event, for a
 * migration in a transaction and for a journaled one (outside a transaction), and `undefined` when
 * the engine cannot tell.
 */
import { describe, expect, it } from 'vitest';
import type { MigratorEvent } from '../../src/core/events.js';
import type { Migration, RunContext } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import { runPlan } from '../../src/core/run/executor.js';
import { createFakeDriver } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const context: RunContext = {
  runId: 'run-rows', actor: 'alice', host: 'ci-7', pid: 4242, environment: 'test', command: 'migrate up', toolVersion: '0.1.0',
  now: () => new Date('2026-03-01T12:00:00.000Z'),
};

function migration(raw: string, sqls: ReadonlyArray<string>, transactional: boolean): Migration {
  const base = v(raw);
  return { ...base, up: { file: base.file, statements: sqls.map((sql, i) => ({ sql, line: i + 1, column: 1 })), transactional, timeoutMs: undefined } };
}

describe('rows on statement.executed', () => {
  it.each([true, false])('transactional %s: each statement carries the rows the driver reported', async (transactional) => {
    const driver = createFakeDriver({ rowsOf: (sql) => (sql.startsWith('update') ? 3 : sql.startsWith('ddl') ? 0 : undefined) });
    const events: MigratorEvent[] = [];
    const report = await runPlan({
      driver, context, emit: (event) => void events.push(event), signal: new AbortController().signal, lockTimeoutMs: 1_000, direction: 'up',
      plan: (history) => planUp([migration('1', ['ddl t', 'update t', 'call something'], transactional)], history, { policy: { outOfOrder: false } }),
    });
    expect(report.outcome).toBe('success');
    const executed = events.filter((event) => event.type === 'statement.executed');
    expect(executed.map((event) => [event.index, event.rows])).toEqual([[0, 0], [1, 3], [2, undefined]]);
  });
});
