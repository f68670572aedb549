import { describe, expect, it } from 'vitest';
import type { MigratorEvent } from '../../src/core/events.js';
import type { Migration, RunContext, Script } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import { runPlan } from '../../src/core/run/executor.js';
import type { MigrationContext } from '../../src/core/scripted.js';
import { createFakeDriver, type FakeDriver } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const context: RunContext = { runId: 'run-s', actor: 'alice', host: 'h', pid: 1, environment: 'staging', command: 'migrate up', toolVersion: '0.1.0', now: () => new Date('2026-03-01T00:00:00Z') };

function program(file: string, entry: 'up' | 'down' | 'verify', run: (ctx: MigrationContext) => unknown, transactional = true): Script {
  return { file, statements: [], transactional, timeoutMs: undefined, program: { entry, location: `/abs/${file}`, run } };
}

function scripted(up: (ctx: MigrationContext) => unknown, verify?: (ctx: MigrationContext) => unknown, transactional = true): Migration {
  const base = v('1');
  const file = 'migrations/V1__s.ts';
  return { ...base, kind: 'script', file, up: program(file, 'up', up, transactional), down: undefined, verify: verify && program(file, 'verify', verify, transactional) };
}

async function run(driver: FakeDriver, migration: Migration) {
  const events: MigratorEvent[] = [];
  const report = await runPlan({ driver, context, emit: (e) => events.push(e), signal: new AbortController().signal, lockTimeoutMs: 1000, direction: 'up', plan: (h) => planUp([migration], h, { policy: { outOfOrder: false } }) });
  return { report, events };
}

describe('scripted migrations in the executor', () => {
  it('runs up(ctx) in the migration transaction with bound values, events and ctx facts', async () => {
    const driver = createFakeDriver();
    let seen: Pick<MigrationContext, 'dialect' | 'env'> | undefined;
    const { report, events } = await run(driver, scripted(async (ctx) => {
      seen = { dialect: ctx.dialect, env: ctx.env };
      await ctx.sql`UPDATE t SET a = ${"'; DROP TABLE t; --"} WHERE id = ${7}`;
      await ctx.exec('CREATE TABLE x (a int); CREATE TABLE y (a int)');
      ctx.log.info('done', { n: 1 });
    }));
    expect(report.outcome).toBe('success');
    expect(seen).toEqual({ dialect: 'sqlite', env: { name: 'staging' } });
    expect(driver.executed).toEqual([`UPDATE t SET a = ? WHERE id = ? -- ["'; DROP TABLE t; --",7]`, 'CREATE TABLE x (a int)', 'CREATE TABLE y (a int)']);
    expect(events.filter((e) => e.type === 'statement.executed')).toHaveLength(3);
    expect(events).toContainEqual({ type: 'script.logged', id: '1', level: 'info', message: 'done', data: { n: 1 } });
    expect(driver.history.get('1')).toMatchObject({ kind: 'script', state: 'applied', statementsTotal: 3, statementsApplied: 3 });
    const calls = driver.calls.join(' ');
    expect(calls.indexOf('begin')).toBeLessThan(calls.indexOf('query'));
    expect(calls.indexOf('query')).toBeLessThan(calls.indexOf('commit'));
  });

  it('fails and rolls back when verify(ctx) returns a false value', async () => {
    const driver = createFakeDriver();
    const { report } = await run(driver, scripted(async (ctx) => ctx.exec('UPDATE t SET a = 1'), () => 0));
    expect(report.outcome).toBe('failure');
    expect(report.error?.code).toBe('E_MIGRATION_FAILED');
    expect(report.error?.message).toBe('version 1 (m1): verify(ctx) of migrations/V1__s.ts returned 0, not a true value');
    expect(driver.executed).toEqual([]);
    expect(driver.history.get('1')).toBeUndefined();
  });

  it('journals a non-transactional engine: failed with the error, the calls before it counted', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: (sql) => (sql.startsWith('UPDATE b') ? new Error('boom') : undefined) });
    const { report } = await run(driver, scripted(async (ctx) => {
      await ctx.exec('UPDATE a SET x = 1');
      await ctx.exec('UPDATE b SET x = 1');
    }));
    expect(report.error?.message).toMatch(/^version 1 \(m1\) failed in up\(ctx\) of migrations\/V1__s\.ts: boom$/);
    expect(report.error?.details).toMatchObject({ statementIndex: 2, statementsApplied: 1, rolledBack: false });
    expect(driver.history.get('1')).toMatchObject({ state: 'failed', statementsApplied: 1 });
    expect(driver.calls.filter((c) => c.startsWith('writeHistory'))).toEqual(['writeHistory:in_progress', 'writeHistory:failed']);
  });
});
