import { describe, expect, it } from 'vitest';
import type { MigratorError } from '../../src/core/errors.js';
import type { Direction, MigratorEvent } from '../../src/core/events.js';
import type { HistoryRow, Migration, RunContext, Script } from '../../src/core/model.js';
import { planDown, planUp, type Plan } from '../../src/core/plan/index.js';
import type { HookContext, HookName, RunHooks } from '../../src/core/run/callbacks.js';
import { runPlan, type RunReport } from '../../src/core/run/executor.js';
import type { CallbackEvent } from '../../src/core/source/callback-names.js';
import type { Callback } from '../../src/core/source/callbacks.js';
import { createFakeDriver, type FakeDriver } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const context: RunContext = { runId: 'run-cb', actor: 'alice', host: 'ci', pid: 1, environment: 'test', command: 'migrate up', toolVersion: '0.1.0', now: () => new Date('2026-03-01T12:00:00Z') };

function script(file: string, sqls: ReadonlyArray<string>, transactional = true): Script {
  return { file, statements: sqls.map((sql, i) => ({ sql, line: 1 + i, column: 1 })), transactional, timeoutMs: undefined };
}

function migration(raw: string, transactional = true): Migration {
  const base = v(raw);
  return { ...base, up: script(base.file, [`up ${raw}`], transactional), down: script(base.file, [`down ${raw}`]), verify: undefined };
}

function callback(event: CallbackEvent, sqls: ReadonlyArray<string> = [`sql ${event}`]): Callback {
  return { event, file: `migrations/${event}.sql`, checksum: `sha256v1:${event}`, script: script(`migrations/${event}.sql`, sqls) };
}

const ALL_UP: CallbackEvent[] = ['beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError'];

interface Harness {
  readonly driver: FakeDriver;
  /** SQL sent (`sql ...`/`up ...`) and hooks called (`hook:<name>`), in order. */
  readonly log: string[];
  readonly contexts: HookContext[];
}

function harness(options: { fail?: string; transactionalDdl?: boolean } = {}): Harness {
  const log: string[] = [];
  const driver = createFakeDriver({
    transactionalDdl: options.transactionalDdl ?? true,
    failOn: (sql) => {
      log.push(sql);
      return sql === options.fail ? new Error(`boom at ${sql}`) : undefined;
    },
  });
  return { driver, log, contexts: [] };
}

function hooks(h: Harness, failing: ReadonlyArray<HookName> = []): RunHooks {
  const hook = (name: HookName) => async (ctx: HookContext): Promise<void> => {
    h.log.push(`hook:${name}${h.driver.inTransaction ? ' (in transaction)' : ''}`);
    h.contexts.push(ctx);
    if (failing.includes(name)) throw new Error(`${name} says no`);
  };
  return Object.fromEntries((['beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError'] as const).map((name) => [name, hook(name)]));
}

async function run(h: Harness, files: ReadonlyArray<Migration>, options: { callbacks?: ReadonlyArray<Callback>; hooks?: RunHooks; direction?: Direction } = {}): Promise<{ report: RunReport; events: MigratorEvent[] }> {
  const events: MigratorEvent[] = [];
  const direction = options.direction ?? 'up';
  const plan = (history: ReadonlyArray<HistoryRow>): Plan => (direction === 'down' ? planDown(files, history, { kind: 'steps', count: 1 }) : planUp(files, history, { policy: { outOfOrder: false } }));
  const report = await runPlan({ driver: h.driver, context, emit: (e) => events.push(e), signal: new AbortController().signal, lockTimeoutMs: 1_000, direction, plan, callbacks: options.callbacks, hooks: options.hooks });
  return { report, events };
}

const codeOf = (report: RunReport): string => (report.error as MigratorError).code;

describe('callbacks and hooks around a run', () => {
  it('run hook, then SQL callback, then the migrations (each wrapped), then SQL callback, then hook', async () => {
    const h = harness();
    const { report } = await run(h, [migration('1'), migration('2')], { callbacks: ALL_UP.map((e) => callback(e)), hooks: hooks(h) });
    expect(report.outcome).toBe('success');
    expect(h.log).toEqual([
      'hook:beforeMigrate', 'sql beforeMigrate',
      'hook:beforeEachMigrate', 'sql beforeEachMigrate', 'up 1', 'sql afterEachMigrate', 'hook:afterEachMigrate',
      'hook:beforeEachMigrate', 'sql beforeEachMigrate', 'up 2', 'sql afterEachMigrate', 'hook:afterEachMigrate',
      'sql afterMigrate', 'hook:afterMigrate',
    ]);
    expect([...h.driver.history.keys()]).toEqual(['1', '2']);
  });

  it('runs each-callbacks inside the migration\'s transaction, hooks outside it', async () => {
    const h = harness();
    await run(h, [migration('1')], { callbacks: [callback('beforeEachMigrate'), callback('afterEachMigrate')], hooks: hooks(h) });
    const calls = h.driver.calls;
    const begin = calls.indexOf('begin');
    expect(calls.slice(begin, begin + 6)).toEqual(['begin', 'execute', 'execute', 'execute', 'writeHistory:applied', 'appendAudit:migration.applied']);
    expect(h.log.filter((l) => l.startsWith('hook:'))).toEqual(['hook:beforeMigrate', 'hook:beforeEachMigrate', 'hook:afterEachMigrate', 'hook:afterMigrate']);
  });

  it('records the checksums of the direction\'s callback files and the hook names in the run.started audit row', async () => {
    const h = harness();
    await run(h, [migration('1')], { callbacks: [callback('beforeMigrate'), callback('beforeUndo')], hooks: { afterMigrate: async () => undefined } });
    const started = h.driver.audit.find((a) => a.event === 'run.started');
    expect(JSON.parse(started?.detail ?? '{}')).toMatchObject({ callbacks: [{ event: 'beforeMigrate', file: 'migrations/beforeMigrate.sql', checksum: 'sha256v1:beforeMigrate' }], hooks: ['afterMigrate'] });
  });

  it('a failing beforeMigrate.sql stops the run before any migration, runs afterMigrateError, and is audited', async () => {
    const h = harness({ fail: 'sql beforeMigrate' });
    const { report, events } = await run(h, [migration('1')], { callbacks: ALL_UP.map((e) => callback(e)), hooks: hooks(h) });
    expect(report.outcome).toBe('failure');
    expect(codeOf(report)).toBe('E_CALLBACK_FAILED');
    expect((report.error as MigratorError).at).toEqual({ file: 'migrations/beforeMigrate.sql', line: 1, column: 1 });
    expect(report.completed).toEqual([]);
    expect(h.log).toEqual(['hook:beforeMigrate', 'sql beforeMigrate', 'sql afterMigrateError', 'hook:afterMigrateError']);
    expect(h.driver.history.size).toBe(0);
    expect(h.driver.audit.map((a) => a.event)).toEqual(['run.started', 'callback.failed', 'run.finished']);
    expect(h.contexts.at(-1)?.error).toMatchObject({ code: 'E_CALLBACK_FAILED' });
    expect(events.find((e) => e.type === 'callback.failed')).toMatchObject({ name: 'beforeMigrate', kind: 'sql', fatal: true });
  });

  it('a failing before-hook stops the run before anything ran, with E_HOOK_FAILED', async () => {
    const h = harness();
    const { report } = await run(h, [migration('1')], { callbacks: [callback('beforeMigrate')], hooks: hooks(h, ['beforeMigrate']) });
    expect(codeOf(report)).toBe('E_HOOK_FAILED');
    expect(report.error?.message).toContain('beforeMigrate says no');
    expect(h.log).toEqual(['hook:beforeMigrate', 'hook:afterMigrateError']);
    expect(h.driver.history.size).toBe(0);
  });

  it('after-hook failures are warnings: the run succeeds', async () => {
    const h = harness();
    const { report, events } = await run(h, [migration('1')], { hooks: hooks(h, ['afterMigrate', 'afterEachMigrate']) });
    expect(report.outcome).toBe('success');
    expect(report.error).toBeUndefined();
    expect(events.filter((e) => e.type === 'callback.failed').map((e) => e.type === 'callback.failed' && [e.name, e.fatal])).toEqual([['afterEachMigrate', false], ['afterMigrate', false]]);
    expect(h.log).not.toContain('hook:afterMigrateError');
  });

  it('a failing afterMigrate.sql fails the run but the migrations stay applied', async () => {
    const h = harness({ fail: 'sql afterMigrate' });
    const { report } = await run(h, [migration('1')], { callbacks: [callback('afterMigrate'), callback('afterMigrateError')] });
    expect(report.outcome).toBe('failure');
    expect(codeOf(report)).toBe('E_CALLBACK_FAILED');
    expect(report.completed.map((c) => c.id)).toEqual(['1']);
    expect(h.driver.history.get('1')?.state).toBe('applied');
    expect(h.log).toContain('sql afterMigrateError');
  });

  it('a failing afterMigrateError never masks the migration\'s error', async () => {
    const h = harness({ fail: 'up 1' });
    const { report, events } = await run(h, [migration('1')], { callbacks: [callback('afterMigrateError', ['sql afterMigrateError'])], hooks: hooks(h, ['afterMigrateError']) });
    expect(codeOf(report)).toBe('E_MIGRATION_FAILED');
    expect(report.error?.message).toContain('boom at up 1');
    expect(h.contexts.at(-1)).toMatchObject({ hook: 'afterMigrateError', error: { code: 'E_MIGRATION_FAILED' } });
    expect(events.filter((e) => e.type === 'callback.failed').map((e) => e.type === 'callback.failed' && e.fatal)).toEqual([false]);
  });

  it('a failing afterMigrateError.sql is only reported', async () => {
    const both = createFakeDriver({ failOn: (sql) => (sql === 'up 1' || sql === 'sql afterMigrateError' ? new Error(`boom at ${sql}`) : undefined) });
    const { report, events } = await run({ driver: both, log: [], contexts: [] }, [migration('1')], { callbacks: [callback('afterMigrateError')] });
    expect(codeOf(report)).toBe('E_MIGRATION_FAILED');
    expect(events.find((e) => e.type === 'callback.failed')).toMatchObject({ name: 'afterMigrateError', kind: 'sql', fatal: false });
    expect(both.audit.map((a) => a.event)).toEqual(['run.started', 'migration.failed', 'callback.failed', 'run.finished']);
  });

  it('a failing beforeEachMigrate.sql fails that migration inside its transaction: rolled back, nothing recorded', async () => {
    const h = harness({ fail: 'sql beforeEachMigrate' });
    const { report } = await run(h, [migration('1')], { callbacks: [callback('beforeEachMigrate')] });
    expect(codeOf(report)).toBe('E_CALLBACK_FAILED');
    expect(h.driver.history.size).toBe(0);
    expect(h.driver.executed).toEqual([]);
  });

  it('without transactional DDL, a failing beforeEachMigrate.sql leaves no journal row to resume or repair', async () => {
    const h = harness({ fail: 'sql beforeEachMigrate', transactionalDdl: false });
    const { report } = await run(h, [migration('1')], { callbacks: [callback('beforeEachMigrate'), callback('afterEachMigrate')] });
    expect(codeOf(report)).toBe('E_CALLBACK_FAILED');
    expect(h.driver.history.size).toBe(0);
    expect(h.log).not.toContain('up 1');
  });

  it('a failing beforeEachMigrate hook fails the migration before its transaction', async () => {
    const h = harness();
    const { report, events } = await run(h, [migration('1')], { hooks: hooks(h, ['beforeEachMigrate']) });
    expect(codeOf(report)).toBe('E_HOOK_FAILED');
    expect(h.log).not.toContain('up 1');
    expect(events.find((e) => e.type === 'migration.failed')).toMatchObject({ id: '1', code: 'E_HOOK_FAILED' });
  });

  it('gives hooks the run\'s context, and each-hooks the migration', async () => {
    const h = harness();
    await run(h, [migration('1')], { hooks: hooks(h) });
    expect(h.contexts[0]).toMatchObject({ hook: 'beforeMigrate', runId: 'run-cb', environment: 'test', direction: 'up', actor: 'alice', fromVersion: null, toVersion: '1' });
    expect(h.contexts[0]?.migration).toBeUndefined();
    expect(h.contexts[1]).toMatchObject({ hook: 'beforeEachMigrate', migration: { id: '1', version: '1', description: 'm1', file: 'migrations/V1__m1.sql' } });
  });

  it('down runs the Undo callbacks, never the Migrate ones; hooks run with direction down', async () => {
    const h = harness();
    await run(h, [migration('1')]);
    h.log.length = 0;
    const callbacks = [...ALL_UP, 'beforeUndo', 'beforeEachUndo', 'afterEachUndo', 'afterUndo'].map((e) => callback(e as CallbackEvent));
    const { report } = await run(h, [migration('1')], { callbacks, hooks: hooks(h), direction: 'down' });
    expect(report.outcome).toBe('success');
    expect(h.log).toEqual(['hook:beforeMigrate', 'sql beforeUndo', 'hook:beforeEachMigrate', 'sql beforeEachUndo', 'down 1', 'sql afterEachUndo', 'hook:afterEachMigrate', 'sql afterUndo', 'hook:afterMigrate']);
    expect(h.contexts.every((c) => c.direction === 'down')).toBe(true);
  });

  it('runs nothing when there is nothing to do', async () => {
    const h = harness();
    await run(h, [migration('1')]);
    h.log.length = 0;
    const { report } = await run(h, [migration('1')], { callbacks: ALL_UP.map((e) => callback(e)), hooks: hooks(h) });
    expect(report.outcome).toBe('success');
    expect(h.log).toEqual([]);
  });
});
