import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import type { Direction, MigratorEvent } from '../../src/core/events.js';
import type { HistoryRow, Migration, RunContext, Script } from '../../src/core/model.js';
import { planDown, planUp } from '../../src/core/plan/index.js';
import type { DownTarget, Plan } from '../../src/core/plan/index.js';
import type { ChainedAuditEntry } from '../../src/core/ports.js';
import { auditHash } from '../../src/core/run/audit.js';
import { METADATA_FORMAT, readHistory, runPlan } from '../../src/core/run/executor.js';
import type { RunReport } from '../../src/core/run/executor.js';
import { createFakeDriver, executedInTransaction } from '../support/fake-driver.js';
import type { FakeDriver } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

const context: RunContext = {
  runId: 'run-test',
  actor: 'alice',
  host: 'ci-7',
  pid: 4242,
  environment: 'test',
  command: 'migrate up',
  toolVersion: '0.1.0',
  now: () => NOW,
};

/** Statement i sits on line 3 + 2i, so a line is never mistaken for an index. */
function script(file: string, sqls: ReadonlyArray<string>, transactional = true): Script {
  return { file, statements: sqls.map((sql, i) => ({ sql, line: 3 + 2 * i, column: 1 })), transactional, timeoutMs: undefined };
}

interface MigrationOptions {
  readonly transactional?: boolean;
  readonly verify?: ReadonlyArray<string>;
}

/** Versioned migration `raw` with up statements `up <raw>.<n>` and down statements `down <raw>.<n>`. */
function migration(raw: string, statements = 2, options: MigrationOptions = {}): Migration {
  const base = v(raw);
  const numbered = (prefix: string): string[] => Array.from({ length: statements }, (_, i) => `${prefix} ${raw}.${i + 1}`);
  return {
    ...base,
    up: script(base.file, numbered('up'), options.transactional ?? true),
    down: script(base.file.replace('/V', '/U'), numbered('down')),
    verify: options.verify === undefined ? undefined : script(base.file, options.verify),
  };
}

const three = (): Migration[] => [migration('1'), migration('2', 3), migration('3')];

interface RunOptions {
  readonly direction?: Direction;
  readonly down?: DownTarget;
  /** Called on each event with the run's controller, e.g. to abort part-way. */
  readonly onEvent?: (event: MigratorEvent, controller: AbortController) => void;
  readonly abortFirst?: boolean;
}

async function run(driver: FakeDriver, files: ReadonlyArray<Migration>, options: RunOptions = {}): Promise<{ report: RunReport; events: MigratorEvent[] }> {
  const events: MigratorEvent[] = [];
  const controller = new AbortController();
  if (options.abortFirst === true) controller.abort();
  const direction = options.direction ?? 'up';
  const down = options.down;
  const plan = (history: ReadonlyArray<HistoryRow>): Plan =>
    direction === 'down' && down !== undefined ? planDown(files, history, down) : planUp(files, history, { policy: { outOfOrder: false } });
  const report = await runPlan({
    driver,
    context,
    emit: (event) => {
      events.push(event);
      options.onEvent?.(event, controller);
    },
    signal: controller.signal,
    lockTimeoutMs: 1_000,
    direction,
    plan,
  });
  return { report, events };
}

function expectValidChain(audit: ReadonlyArray<ChainedAuditEntry>): void {
  let previous = '';
  for (const entry of audit) {
    expect(entry.prevHash).toBe(previous);
    expect(entry.hash).toBe(auditHash(entry.prevHash, entry));
    previous = entry.hash;
  }
}

const errorOf = (report: RunReport): MigratorError => {
  expect(report.error).toBeInstanceOf(MigratorError);
  return report.error as MigratorError;
};

const failOnSql = (target: string) => (sql: string): Error | undefined => (sql === target ? new Error(`boom at ${sql}`) : undefined);

describe('runPlan up', () => {
  it('takes the lock before reading the metadata and creates the metadata under it', async () => {
    const driver = createFakeDriver();
    await run(driver, three());
    const { calls } = driver;
    expect(calls.indexOf('tryLock')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('tryLock')).toBeLessThan(calls.indexOf('readState'));
    expect(calls.indexOf('readState')).toBeLessThan(calls.indexOf('prepareMetadata'));
    expect(driver.writesWithoutLock).toEqual([]);
    expect(driver.format).toBe(METADATA_FORMAT);
  });

  it('does not create the metadata when there is nothing to run', async () => {
    const driver = createFakeDriver();
    const { report } = await run(driver, []);
    expect(report.plan.steps).toHaveLength(0);
    expect(report.outcome).toBe('success');
    expect(driver.calls).not.toContain('prepareMetadata');
    expect(driver.format).toBeUndefined();
    expect(driver.audit).toEqual([]);
  });

  it('commits each migration with its history and audit rows, checking the lock just before commit', async () => {
    const driver = createFakeDriver();
    await run(driver, [migration('1')]);
    const begin = driver.calls.indexOf('begin');
    expect(driver.calls.slice(begin)).toEqual([
      'begin', 'execute', 'execute', 'writeHistory:applied', 'appendAudit:migration.applied', 'assertLock', 'commit',
      'schemaSnapshot', 'readState', 'recordSchema', 'appendAudit:run.finished', 'unlock',
    ]);
  });

  it('emits run.started, migration.applied per migration and run.finished, in order', async () => {
    const { report, events } = await run(createFakeDriver(), three());
    expect(report.outcome).toBe('success');
    expect(events[0]?.type).toBe('lock.acquired');
    const main = events.filter((e) => e.type === 'run.started' || e.type === 'migration.applied' || e.type === 'run.finished');
    expect(main.map((e) => (e.type === 'migration.applied' ? `${e.type} ${e.id}` : e.type))).toEqual([
      'run.started', 'migration.applied 1', 'migration.applied 2', 'migration.applied 3', 'run.finished',
    ]);
    expect(main[0]).toMatchObject({ type: 'run.started', pending: 3, direction: 'up', runId: 'run-test' });
    expect(main[4]).toMatchObject({ type: 'run.finished', count: 3, outcome: 'success', fromVersion: null, toVersion: '3' });
    expect(events).toContainEqual({ type: 'lock.released' });
  });

  it('writes applied history rows in batch 1 with statement counts and checksums', async () => {
    const driver = createFakeDriver();
    const files = three();
    const { report } = await run(driver, files);
    expect(report.batch).toBe(1);
    expect([...driver.history.keys()]).toEqual(['1', '2', '3']);
    for (const m of files) {
      const row = driver.history.get(m.id);
      expect(row).toMatchObject({
        state: 'applied', batch: 1, checksum: m.checksum, kind: 'versioned', script: m.file,
        statementsTotal: m.up.statements.length, statementsApplied: m.up.statements.length,
        appliedBy: 'alice', appliedAt: NOW.toISOString(), runId: 'run-test', error: null,
      });
      expect(row?.appliedHash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(driver.executed).toEqual(files.flatMap((m) => m.up.statements.map((s) => s.sql)));
  });

  it('appends run.started, one migration.applied per migration and run.finished as a valid hash chain', async () => {
    const driver = createFakeDriver();
    await run(driver, three());
    expect(driver.audit.map((a) => `${a.event} ${a.version ?? ''}`.trim())).toEqual([
      'run.started', 'migration.applied 1', 'migration.applied 2', 'migration.applied 3', 'run.finished',
    ]);
    expect(driver.audit.at(-1)).toMatchObject({ outcome: 'success', fromVersion: null, toVersion: '3' });
    expectValidChain(driver.audit);
  });

  it('finds nothing to do on a second run: zero steps, no audit rows, no batch consumed', async () => {
    const driver = createFakeDriver();
    const files = three();
    await run(driver, files);
    const auditBefore = driver.audit.length;
    const { report, events } = await run(driver, files);
    expect(report.plan.steps).toHaveLength(0);
    expect(report.outcome).toBe('success');
    expect(report.error).toBeUndefined();
    expect(driver.audit).toHaveLength(auditBefore);
    expect(events.some((e) => e.type === 'migration.applied')).toBe(false);

    // The next run that does apply something is batch 2, not 3.
    await run(driver, [...files, migration('4')]);
    expect(driver.history.get('4')?.batch).toBe(2);
    expectValidChain(driver.audit);
  });

  it('rolls back a transactional migration whose statement fails and keeps the earlier ones', async () => {
    const driver = createFakeDriver({ failOn: failOnSql('up 2.2') });
    const files = three();
    const { report, events } = await run(driver, files);

    expect(report.outcome).toBe('failure');
    const error = errorOf(report);
    expect(error.code).toBe('E_MIGRATION_FAILED');
    const failing = files[1]?.up.statements[1];
    // Rolled back as a whole: no statement of it counts as applied.
    expect(error.details).toMatchObject({ statementIndex: 2, statementsApplied: 0, line: failing?.line, file: files[1]?.up.file, rolledBack: true });
    expect(error.message).toContain('boom at up 2.2');
    expect(report.completed.map((c) => c.id)).toEqual(['1']);

    expect([...driver.history.keys()]).toEqual(['1']);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2']);
    expect(driver.calls).toContain('rollback');
    expect(events).toContainEqual(expect.objectContaining({ type: 'migration.failed', id: '2', statementIndex: 2, code: 'E_MIGRATION_FAILED' }));
    expect(events.some((e) => e.type === 'migration.started' && e.id === '3')).toBe(false);

    expect(driver.audit.map((a) => a.event)).toEqual(['run.started', 'migration.applied', 'migration.failed', 'run.finished']);
    expect(driver.audit[2]).toMatchObject({ version: '2', outcome: 'failure' });
    expectValidChain(driver.audit);
    expect(driver.calls.at(-1)).toBe('unlock');
    expect(driver.holdsLock).toBe(false);
  });

  it('journals a migration on an engine without transactional DDL: a failure leaves a failed row and the applied prefix', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failOnSql('up 2.3') });
    const { report } = await run(driver, three());

    expect(report.outcome).toBe('failure');
    expect(errorOf(report).code).toBe('E_MIGRATION_FAILED');
    expect(errorOf(report).details).toMatchObject({ statementIndex: 3, statementsApplied: 2, rolledBack: false });
    const row = driver.history.get('2');
    expect(row).toMatchObject({ state: 'failed', statementsApplied: 2, statementsTotal: 3, batch: 1 });
    expect(row?.appliedHash).toMatch(/^[0-9a-f]{64}$/);
    const detail: unknown = JSON.parse(row?.error ?? 'null');
    expect(detail).toMatchObject({ code: 'E_MIGRATION_FAILED', message: expect.stringContaining('boom at up 2.3') });
    expect(driver.history.get('1')?.state).toBe('applied');
    expect(driver.history.has('3')).toBe(false);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2', 'up 2.1', 'up 2.2']);
    expect(executedInTransaction(driver.calls)).toBe(0);
    expect(driver.audit.map((a) => a.event)).toContain('migration.failed');
    expectValidChain(driver.audit);
    expect(driver.calls.at(-1)).toBe('unlock');
  });

  it('journals a transaction-off script on a transactional engine: in_progress before the first statement', async () => {
    const driver = createFakeDriver();
    const { report } = await run(driver, [migration('1', 2, { transactional: false })]);
    expect(report.outcome).toBe('success');
    const { calls } = driver;
    expect(executedInTransaction(calls)).toBe(0);
    const firstExecute = calls.indexOf('execute');
    expect(calls.indexOf('writeHistory:in_progress')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('writeHistory:in_progress')).toBeLessThan(firstExecute);
    expect(calls.indexOf('assertLock')).toBeLessThan(firstExecute);
    // The final row, the audit row and the lock check share one transaction, after the last statement.
    const applied = calls.indexOf('writeHistory:applied');
    expect(calls.lastIndexOf('begin', applied)).toBeGreaterThan(calls.lastIndexOf('execute'));
    expect(calls.indexOf('assertLock', applied)).toBeLessThan(calls.indexOf('commit', applied));
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 2, statementsTotal: 2 });
  });

  it('runs nothing when aborted before the run, and releases the lock', async () => {
    const driver = createFakeDriver();
    const { report, events } = await run(driver, three(), { abortFirst: true });
    expect(report.outcome).toBe('interrupted');
    expect(errorOf(report).code).toBe('E_INTERRUPTED');
    expect(driver.executed).toEqual([]);
    expect(driver.history.size).toBe(0);
    expect(events.some((e) => e.type === 'migration.started')).toBe(false);
    expect(driver.calls).not.toContain('begin');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'interrupted', count: 0 });
    expect(driver.calls.at(-1)).toBe('unlock');
    expect(driver.holdsLock).toBe(false);
  });

  it('stops between migrations when aborted, keeping the ones done', async () => {
    const driver = createFakeDriver();
    const { report, events } = await run(driver, three(), {
      onEvent: (event, controller) => {
        if (event.type === 'migration.applied' && event.id === '1') controller.abort();
      },
    });
    expect(report.outcome).toBe('interrupted');
    expect(errorOf(report).code).toBe('E_INTERRUPTED');
    expect(report.completed.map((c) => c.id)).toEqual(['1']);
    expect(events.filter((e) => e.type === 'migration.started').map((e) => e.id)).toEqual(['1']);
    expect(driver.calls.filter((c) => c === 'begin')).toHaveLength(1);
    expect([...driver.history.keys()]).toEqual(['1']);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2']);
    expect(driver.calls.at(-1)).toBe('unlock');
  });

  it('rolls back the migration in flight when aborted at a statement boundary', async () => {
    const driver = createFakeDriver();
    const { report } = await run(driver, three(), {
      onEvent: (event, controller) => {
        if (event.type === 'statement.executed' && event.id === '2' && event.index === 0) controller.abort();
      },
    });
    expect(report.outcome).toBe('interrupted');
    expect(errorOf(report).code).toBe('E_INTERRUPTED');
    expect([...driver.history.keys()]).toEqual(['1']);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2']);
    expectValidChain(driver.audit);
  });

  it('rolls back and fails with E_LOCK_LOST when the lock is lost before a commit', async () => {
    const driver = createFakeDriver({ loseLockAfter: 1 });
    const { report, events } = await run(driver, three());
    expect(report.outcome).toBe('failure');
    expect(errorOf(report).code).toBe('E_LOCK_LOST');
    expect([...driver.history.keys()]).toEqual(['1']);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2']);
    const { calls } = driver;
    const lostAt = calls.lastIndexOf('assertLock');
    expect(calls.slice(lostAt, lostAt + 2)).toEqual(['assertLock', 'rollback']);
    expect(calls.slice(lostAt)).not.toContain('commit');
    expect(calls.filter((c) => c === 'commit')).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'migration.failed', id: '2', code: 'E_LOCK_LOST' }));
    expect(events.some((e) => e.type === 'migration.started' && e.id === '3')).toBe(false);
    // The rolled-back migration.applied row must not stay the chain's head, and once the lock is
    // lost nothing more is written: another run may own the metadata (fail closed).
    expect(driver.audit.map((a) => a.event)).toEqual(['run.started', 'migration.applied']);
    expect(driver.writesWithoutLock).toEqual([]);
    expectValidChain(driver.audit);
    expect(calls.at(-1)).toBe('unlock');
  });

  it('fails and rolls back a migration whose verify check returns 0', async () => {
    const driver = createFakeDriver({ queryValue: (sql) => (sql === 'SELECT count(*) FROM t2' ? 0 : 1) });
    const files = [migration('1', 2, { verify: ['SELECT 1'] }), migration('2', 2, { verify: ['SELECT count(*) FROM t2'] })];
    const { report } = await run(driver, files);
    expect(report.outcome).toBe('failure');
    const error = errorOf(report);
    expect(error.code).toBe('E_MIGRATION_FAILED');
    expect(error.message).toContain('verify');
    expect(error.details).toMatchObject({ version: '2', returned: '0' });
    expect([...driver.history.keys()]).toEqual(['1']);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2']);
    expect(driver.calls.filter((c) => c === 'queryValue')).toHaveLength(2);
    expect(driver.calls.at(-1)).toBe('unlock');
  });
});

describe('runPlan down', () => {
  const upThen = async (driver: FakeDriver, files: ReadonlyArray<Migration>): Promise<void> => {
    const { report } = await run(driver, files);
    expect(report.outcome).toBe('success');
  };

  it('reverts only the last migration by default, keeping its batch', async () => {
    const driver = createFakeDriver();
    const files = three();
    await upThen(driver, files.slice(0, 2));
    await upThen(driver, files);
    expect(driver.history.get('3')?.batch).toBe(2);

    const { report, events } = await run(driver, files, { direction: 'down', down: { kind: 'steps', count: 1 } });
    expect(report.outcome).toBe('success');
    expect(report.completed.map((c) => `${c.action} ${c.id}`)).toEqual(['revert 3']);
    expect(driver.history.get('3')).toMatchObject({ state: 'rolled_back', batch: 2, statementsTotal: 2, statementsApplied: 2 });
    expect(driver.history.get('1')?.state).toBe('applied');
    expect(driver.history.get('2')?.state).toBe('applied');
    expect(driver.executed.slice(-2)).toEqual(['down 3.1', 'down 3.2']);
    expect(events.filter((e) => e.type === 'migration.reverted').map((e) => e.id)).toEqual(['3']);
    expect(events.some((e) => e.type === 'migration.applied')).toBe(false);
    expect(driver.audit.at(-2)).toMatchObject({ event: 'migration.reverted', version: '3', checksum: files[2]?.downChecksum });
    expectValidChain(driver.audit);
  });

  it("reverts everything in reverse order with to '0'", async () => {
    const driver = createFakeDriver();
    const files = three();
    await upThen(driver, files);
    const upCount = driver.executed.length;

    const { report, events } = await run(driver, files, { direction: 'down', down: { kind: 'to', version: '0' } });
    expect(report.outcome).toBe('success');
    expect(events.filter((e) => e.type === 'migration.reverted').map((e) => e.id)).toEqual(['3', '2', '1']);
    expect(driver.executed.slice(upCount)).toEqual(['down 3.1', 'down 3.2', 'down 2.1', 'down 2.2', 'down 2.3', 'down 1.1', 'down 1.2']);
    expect([...driver.history.values()].map((r) => `${r.version} ${r.state} ${r.batch}`).sort()).toEqual([
      '1 rolled_back 1', '2 rolled_back 1', '3 rolled_back 1',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', direction: 'down', outcome: 'success', fromVersion: '3', toVersion: null });
    expectValidChain(driver.audit);
  });
});

describe('readHistory', () => {
  it('refuses metadata in a format newer than this migrator writes', async () => {
    const driver = createFakeDriver();
    driver.format = METADATA_FORMAT + 1;
    await expect(readHistory(driver)).rejects.toMatchObject({ code: 'E_METADATA_VERSION' });
  });

  it('makes runPlan refuse before anything is written, and still releases the lock', async () => {
    const driver = createFakeDriver();
    driver.format = METADATA_FORMAT + 1;
    await expect(run(driver, three())).rejects.toMatchObject({ code: 'E_METADATA_VERSION' });
    expect(driver.calls).toEqual(['tryLock', 'readState', 'unlock']);
  });

  it('reads the current format and its rows', async () => {
    const driver = createFakeDriver();
    await run(driver, [migration('1')]);
    const state = await readHistory(driver);
    expect(state.format).toBe(METADATA_FORMAT);
    expect(state.rows.map((r) => r.version)).toEqual(['1']);
  });
});
