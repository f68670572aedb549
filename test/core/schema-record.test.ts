/**
 * Recording the schema for drift checks, against the fake driver: after a run (whatever its
 * outcome, except a lost lock), after baseline and a repair that changed something, and on
 * `verify --accept`; a failed recording never changes a run's outcome.
 */
import { describe, expect, it } from 'vitest';
import type { MigratorEvent } from '../../src/core/events.js';
import type { HistoryRow, Migration, RunContext, Script } from '../../src/core/model.js';
import { planDown, planUp } from '../../src/core/plan/index.js';
import { runAcceptSchema } from '../../src/core/run/accept-schema.js';
import { runBaseline } from '../../src/core/run/baseline.js';
import { runPlan, type RunReport } from '../../src/core/run/executor.js';
import { runRepair } from '../../src/core/run/repair.js';
import { snapshotDigest } from '../../src/core/schema.js';
import { createFakeDriver, type FakeDriver, type FakeDriverOptions } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

const contextOf = (runId: string): RunContext => ({
  runId, actor: 'alice', host: 'ci-7', pid: 4242, environment: 'test', command: 'migrate up', toolVersion: '0.1.0', now: () => NOW,
});

function script(file: string, sqls: ReadonlyArray<string>): Script {
  return { file, statements: sqls.map((sql, i) => ({ sql, line: 1 + i, column: 1 })), transactional: true, timeoutMs: undefined };
}

/** Versioned migration `raw` creating `table <raw>`, reverted by dropping it. */
function migration(raw: string): Migration {
  const base = v(raw);
  return { ...base, up: script(base.file, [`table ${raw}`]), down: script(base.file.replace('/V', '/U'), [`drop ${raw}`]) };
}

interface Ran {
  readonly report: RunReport;
  readonly events: MigratorEvent[];
}

async function up(driver: FakeDriver, files: ReadonlyArray<Migration>, runId = 'run-up'): Promise<Ran> {
  const events: MigratorEvent[] = [];
  const report = await runPlan({
    driver, context: contextOf(runId), emit: (event) => events.push(event), signal: new AbortController().signal, lockTimeoutMs: 1_000,
    direction: 'up', plan: (history: ReadonlyArray<HistoryRow>) => planUp(files, history, { policy: { outOfOrder: false } }),
  });
  return { report, events };
}

const fail = (target: string): NonNullable<FakeDriverOptions['failOn']> => (sql) => (sql === target ? new Error(`boom at ${sql}`) : undefined);

describe('recording after a run', () => {
  it('records the schema the run left, its fingerprint and the version reached, once per run', async () => {
    const driver = createFakeDriver();
    const { events } = await up(driver, [migration('1'), migration('2')]);
    expect(driver.recorded).toEqual({
      fingerprint: snapshotDigest(['table 1', 'table 2']), lines: ['table 1', 'table 2'], at: NOW.toISOString(),
      runId: 'run-up', version: '2', toolVersion: '0.1.0',
    });
    expect(driver.calls.filter((call) => call === 'recordSchema')).toHaveLength(1);
    expect(driver.writesWithoutLock).toEqual([]);
    expect(events).toContainEqual({ type: 'snapshot.recorded', fingerprint: snapshotDigest(['table 1', 'table 2']), objects: 2 });
  });

  it('records nothing when there is nothing to run', async () => {
    const driver = createFakeDriver();
    await up(driver, []);
    expect(driver.calls).not.toContain('recordSchema');
    expect(driver.recorded).toBeUndefined();
  });

  it('follows the tool through later runs, down included', async () => {
    const driver = createFakeDriver();
    await up(driver, [migration('1')]);
    await up(driver, [migration('1'), migration('2')], 'run-2');
    expect(driver.recorded).toMatchObject({ runId: 'run-2', version: '2', lines: ['table 1', 'table 2'] });
    const files = [migration('1'), migration('2')];
    await runPlan({
      driver, context: contextOf('run-down'), emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1_000,
      direction: 'down', plan: (history) => planDown(files, history, { kind: 'steps', count: 1 }),
    });
    expect(driver.recorded).toMatchObject({ runId: 'run-down', version: '1', lines: ['drop 2', 'table 1', 'table 2'] });
  });

  it('records after a failed run too: what the tool left, partial changes included', async () => {
    const driver = createFakeDriver({ failOn: fail('table 2') });
    const { report } = await up(driver, [migration('1'), migration('2')]);
    expect(report.outcome).toBe('failure');
    expect(driver.recorded).toMatchObject({ lines: ['table 1'], version: '1' });
  });

  it('writes nothing after the lock was lost', async () => {
    const driver = createFakeDriver({ loseLockAfter: 1 });
    const { report } = await up(driver, [migration('1'), migration('2')]);
    expect(report.error?.code).toBe('E_LOCK_LOST');
    expect(driver.calls).not.toContain('recordSchema');
    // Only the drift check before the first migration reads the schema; nothing after the loss.
    expect(driver.calls.filter((call) => call === 'schemaSnapshot')).toHaveLength(1);
    expect(driver.calls.indexOf('schemaSnapshot')).toBeLessThan(driver.calls.indexOf('begin'));
  });

  it('keeps a successful run successful when recording fails, and says so in an event', async () => {
    const driver = createFakeDriver({ failRecordSchema: new Error('disk full') });
    const { report, events } = await up(driver, [migration('1')]);
    expect(report.outcome).toBe('success');
    expect(report.error).toBeUndefined();
    expect(events).toContainEqual({ type: 'snapshot.failed', message: 'disk full' });
    expect(driver.audit.at(-1)).toMatchObject({ event: 'run.finished', outcome: 'success' });
  });
});

describe('recording after baseline and repair', () => {
  it('baseline records the adopted schema with the baseline version, in its transaction', async () => {
    const driver = createFakeDriver();
    await driver.execute({ sql: 'table legacy', line: 1, column: 1 });
    await runBaseline({ driver, context: contextOf('run-base'), emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1_000, version: 'V5', description: 'baseline' });
    expect(driver.recorded).toMatchObject({ lines: ['table legacy'], version: '5', runId: 'run-base' });
    const calls = driver.calls.slice(driver.calls.indexOf('begin'));
    expect(calls.indexOf('recordSchema')).toBeLessThan(calls.indexOf('commit'));
  });

  it('a repair that changed something records the schema; one that changed nothing does not', async () => {
    const driver = createFakeDriver();
    await up(driver, [migration('1')]);
    const repair = (files: ReadonlyArray<Migration>, runId: string) => runRepair({ driver, context: contextOf(runId), emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1_000, migrations: files });
    expect(await repair([migration('1')], 'run-noop')).toEqual([]);
    expect(driver.recorded?.runId).toBe('run-up');
    await driver.execute({ sql: 'index by hand', line: 1, column: 1 });
    expect(await repair([{ ...migration('1'), checksum: 'sha256v1:edited' }], 'run-repair')).toHaveLength(1);
    expect(driver.recorded).toMatchObject({ runId: 'run-repair', version: '1', lines: ['index by hand', 'table 1'] });
  });
});

describe('verify --accept', () => {
  const accept = (driver: FakeDriver, runId = 'run-accept') => runAcceptSchema({ driver, context: contextOf(runId), emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1_000 });

  it('records the live schema under the lock with an audit row naming what changed', async () => {
    const driver = createFakeDriver();
    await up(driver, [migration('1')]);
    await driver.execute({ sql: 'column by hand', line: 1, column: 1 });
    const accepted = await accept(driver);
    expect(accepted.changed).toBe(true);
    expect(accepted.diff).toEqual({ added: ['column by hand'], removed: [] });
    expect(driver.recorded).toMatchObject({ runId: 'run-accept', lines: ['column by hand', 'table 1'], version: '1' });
    const row = driver.audit.at(-1);
    expect(row).toMatchObject({ event: 'schema.accepted', outcome: 'success', version: '1' });
    expect(JSON.parse(row?.detail ?? '{}')).toMatchObject({ added: 1, removed: 0, lines: ['+ column by hand'], previous: { runId: 'run-up' } });
    // Only the change made by hand happened outside the lock.
    expect(driver.writesWithoutLock).toEqual(['execute']);
    expect(driver.holdsLock).toBe(false);
  });

  it('writes nothing when the schema already matches the record', async () => {
    const driver = createFakeDriver();
    await up(driver, [migration('1')]);
    const audit = driver.audit.length;
    const accepted = await accept(driver);
    expect(accepted.changed).toBe(false);
    expect(driver.audit).toHaveLength(audit);
    expect(driver.recorded?.runId).toBe('run-up');
  });

  it('records a first snapshot on a database that has none', async () => {
    const driver = createFakeDriver();
    await driver.execute({ sql: 'table legacy', line: 1, column: 1 });
    const accepted = await accept(driver);
    expect(accepted).toMatchObject({ changed: true, previous: undefined, diff: { added: ['table legacy'], removed: [] } });
    expect(driver.recorded).toMatchObject({ version: null, lines: ['table legacy'] });
  });
});
