/**
 * Recovery paths of the executor against the fake driver: lock-timeout retries, server positions,
 * a lost lease, leftovers and lost connections of journaled steps, `up --resume`, fault points and
 * `migrate repair`.
 */
import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import type { MigratorEvent } from '../../src/core/events.js';
import type { HistoryRow, Migration, RunContext, Script, Statement } from '../../src/core/model.js';
import { inspect, planDown, planUp } from '../../src/core/plan/index.js';
import type { Plan } from '../../src/core/plan/index.js';
import type { ChainedAuditEntry } from '../../src/core/ports.js';
import { auditHash } from '../../src/core/run/audit.js';
import { runPlan } from '../../src/core/run/executor.js';
import type { RunReport } from '../../src/core/run/executor.js';
import { locate } from '../../src/core/run/failure.js';
import type { FaultPoint } from '../../src/core/run/faults.js';
import { runRepair } from '../../src/core/run/repair.js';
import type { RepairInput } from '../../src/core/run/repair.js';
import { isDataStatement, prefixHash } from '../../src/core/run/statements.js';
import { FakeEngineError, createFakeDriver, executedInTransaction } from '../support/fake-driver.js';
import type { FakeDriver, FakeDriverOptions } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

const context: RunContext = {
  runId: 'run-recovery',
  actor: 'alice',
  host: 'ci-7',
  pid: 4242,
  environment: 'test',
  command: 'migrate up',
  toolVersion: '0.1.0',
  now: () => NOW,
};

/** Statement i sits on line 3 + 2i, column 1. */
function script(file: string, sqls: ReadonlyArray<string>, transactional: boolean): Script {
  return { file, statements: sqls.map((sql, i) => ({ sql, line: 3 + 2 * i, column: 1 })), transactional, timeoutMs: undefined };
}

/** Versioned migration `raw` with up statements `up <raw>.<n>` (or the given SQL). */
function migration(raw: string, statements: number | ReadonlyArray<string> = 2, options: { transactional?: boolean; checksum?: string } = {}): Migration {
  const base = v(raw, options.checksum === undefined ? {} : { checksum: options.checksum });
  const sqls = typeof statements === 'number' ? Array.from({ length: statements }, (_, i) => `up ${raw}.${i + 1}`) : statements;
  return { ...base, up: script(base.file, sqls, options.transactional ?? true), down: undefined };
}

interface RunOptions {
  readonly resume?: boolean;
  readonly lockRetries?: number;
  readonly onEvent?: (event: MigratorEvent) => void;
  /** A signal arrives during the first retry backoff (SIGINT while waiting to retry). */
  readonly abortDuringBackoff?: boolean;
  /** The hook throws at this point, as a crash would stop the run there (the fake keeps what was written). */
  readonly crashAt?: FaultPoint;
}

interface Run {
  readonly report: RunReport;
  readonly events: MigratorEvent[];
  readonly sleeps: number[];
  readonly faults: FaultPoint[];
}

async function run(driver: FakeDriver, files: ReadonlyArray<Migration>, options: RunOptions = {}): Promise<Run> {
  const events: MigratorEvent[] = [];
  const sleeps: number[] = [];
  const faults: FaultPoint[] = [];
  const controller = new AbortController();
  const plan = (history: ReadonlyArray<HistoryRow>): Plan => planUp(files, history, { policy: { outOfOrder: false }, resume: options.resume === true });
  const report = await runPlan({
    driver,
    context,
    emit: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
    signal: controller.signal,
    lockTimeoutMs: 1_000,
    direction: 'up',
    plan,
    lockRetries: options.lockRetries,
    fault: (point) => {
      faults.push(point);
      if (point === options.crashAt) throw new Error(`crashed at ${point}`);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      if (options.abortDuringBackoff === true) controller.abort();
    },
  });
  return { report, events, sleeps, faults };
}

function errorOf(report: RunReport): MigratorError {
  expect(report.error).toBeInstanceOf(MigratorError);
  return report.error as MigratorError;
}

function expectValidChain(audit: ReadonlyArray<ChainedAuditEntry>): void {
  let previous = '';
  for (const entry of audit) {
    expect(entry.prevHash).toBe(previous);
    expect(entry.hash).toBe(auditHash(entry.prevHash, entry));
    previous = entry.hash;
  }
}

const retrying = (events: ReadonlyArray<MigratorEvent>) => events.filter((e) => e.type === 'migration.retrying');
const count = (calls: ReadonlyArray<string>, call: string): number => calls.filter((c) => c === call).length;

type FailOn = NonNullable<FakeDriverOptions['failOn']>;

/** Fails statement `sql` with `error()` the first `times` times it runs (every time when Infinity). */
function failTimes(sql: string, times: number, error: () => Error): FailOn {
  let seen = 0;
  return (executed) => {
    if (executed !== sql) return undefined;
    seen += 1;
    return seen <= times ? error() : undefined;
  };
}

const lockTimeout = (): Error => new FakeEngineError('canceling statement due to lock timeout', 'lock_timeout');

describe('locate', () => {
  const oneLine: Statement = { sql: 'SELECT * FROM nope', line: 3, column: 5 };
  // Lines 10-13; "typo" is on line 12, column 7 (index 33, position 34).
  const multi: Statement = { sql: 'CREATE TABLE t (\n  id int,\n  bad typo\n)', line: 10, column: 3 };

  it.each([
    { name: 'single line, first character', statement: oneLine, position: 1, expected: { line: 3, column: 5 } },
    { name: 'single line, inside', statement: oneLine, position: 15, expected: { line: 3, column: 19 } },
    { name: 'multi-line, first line keeps the statement column', statement: multi, position: 8, expected: { line: 10, column: 10 } },
    { name: 'multi-line, first character of the second line', statement: multi, position: 18, expected: { line: 11, column: 1 } },
    { name: 'multi-line, third line', statement: multi, position: 34, expected: { line: 12, column: 7 } },
    { name: 'just past the end (end of input)', statement: oneLine, position: oneLine.sql.length + 1, expected: { line: 3, column: 5 + oneLine.sql.length } },
    { name: 'far past the end: clamped to the end', statement: multi, position: 1_000, expected: { line: 13, column: 2 } },
    { name: 'undefined: the statement start', statement: multi, position: undefined, expected: { line: 10, column: 3 } },
    { name: 'zero: the statement start', statement: multi, position: 0, expected: { line: 10, column: 3 } },
    { name: 'NaN: the statement start', statement: oneLine, position: Number.NaN, expected: { line: 3, column: 5 } },
  ])('$name', ({ statement, position, expected }) => {
    expect(locate(statement, position)).toEqual(expected);
  });
});

describe('lock timeout retries', () => {
  it('retries a transactional migration whole after a lock timeout, with growing delays', async () => {
    const driver = createFakeDriver({ failOn: failTimes('up 1.2', 2, lockTimeout) });
    const { report, events, sleeps } = await run(driver, [migration('1'), migration('2')]);

    expect(report.outcome).toBe('success');
    expect(retrying(events)).toEqual([
      { type: 'migration.retrying', id: '1', attempt: 1, delayMs: 500, reason: expect.stringContaining('canceling statement due to lock timeout') },
      { type: 'migration.retrying', id: '1', attempt: 2, delayMs: 1000, reason: expect.stringContaining('canceling statement due to lock timeout') },
    ]);
    expect(sleeps).toEqual([500, 1000]);
    // Each attempt rolled back whole and started again from the first statement.
    expect(count(driver.calls, 'begin')).toBe(4);
    expect(count(driver.calls, 'rollback')).toBe(2);
    expect(count(driver.calls, 'execute')).toBe(8);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2', 'up 2.1', 'up 2.2']);
    expect(count(driver.calls, 'writeHistory:applied')).toBe(2);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 2 });
    expect(driver.audit.filter((a) => a.event === 'migration.applied').map((a) => a.version)).toEqual(['1', '2']);
    expect(driver.audit.some((a) => a.event === 'migration.failed')).toBe(false);
    expectValidChain(driver.audit);
  });

  it('fails with E_MIGRATION_FAILED and engineKind lock_timeout once the retries are spent', async () => {
    const driver = createFakeDriver({ failOn: failTimes('up 1.2', Infinity, lockTimeout) });
    const { report, events, sleeps } = await run(driver, [migration('1')], { lockRetries: 2 });

    expect(report.outcome).toBe('failure');
    const error = errorOf(report);
    expect(error.code).toBe('E_MIGRATION_FAILED');
    expect(error.details).toMatchObject({ engineKind: 'lock_timeout', statementIndex: 2, rolledBack: true, version: '1' });
    expect(retrying(events).map((e) => e.attempt)).toEqual([1, 2]);
    expect(sleeps).toEqual([500, 1000]);
    expect(count(driver.calls, 'begin')).toBe(3);
    expect(driver.history.size).toBe(0);
    expect(driver.executed).toEqual([]);
    expect(driver.audit.map((a) => a.event)).toEqual(['run.started', 'migration.failed', 'run.finished']);
    expectValidChain(driver.audit);
  });

  it('does not retry a failure that is not a lock timeout', async () => {
    const driver = createFakeDriver({ failOn: failTimes('up 1.2', 1, () => new FakeEngineError('syntax error', 'other')) });
    const { report, events, sleeps } = await run(driver, [migration('1')]);
    expect(errorOf(report).details['engineKind']).toBe('other');
    expect(retrying(events)).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(count(driver.calls, 'begin')).toBe(1);
  });

  it('retries only the failed statement of a journaled migration', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 1.2', 1, lockTimeout) });
    const { report, events, sleeps } = await run(driver, [migration('1', 3)]);

    expect(report.outcome).toBe('success');
    expect(retrying(events)).toEqual([{ type: 'migration.retrying', id: '1', attempt: 1, delayMs: 500, reason: expect.stringContaining('canceling statement due to lock timeout') }]);
    expect(sleeps).toEqual([500]);
    expect(count(driver.calls, 'execute')).toBe(4);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2', 'up 1.3']);
    expect(executedInTransaction(driver.calls)).toBe(0);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 3, statementsTotal: 3 });
  });

  // A signal stops the run at the next statement boundary and exits 130/143 (DESIGN.md section 4):
  // a backoff is such a boundary, so the run reports an interrupt and starts no new attempt.
  it('reports an interrupt, not a lock-timeout failure, when a signal arrives during a transactional backoff', async () => {
    const driver = createFakeDriver({ failOn: failTimes('up 1.2', Infinity, lockTimeout) });
    const { report, sleeps } = await run(driver, [migration('1'), migration('2')], { abortDuringBackoff: true });
    expect(sleeps).toEqual([500]);
    expect(count(driver.calls, 'begin')).toBe(1);
    expect(driver.history.size).toBe(0);
    expect(report.outcome).toBe('interrupted');
    expect(errorOf(report).code).toBe('E_INTERRUPTED');
  });

  it('does not run a journaled statement again when a signal arrives during its backoff', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 1.2', 1, lockTimeout) });
    const { report, sleeps } = await run(driver, [migration('1', 3)], { abortDuringBackoff: true });
    expect(sleeps).toEqual([500]);
    expect(errorOf(report).code).toBe('E_INTERRUPTED');
    expect(report.outcome).toBe('interrupted');
    expect(count(driver.calls, 'execute')).toBe(2);
    expect(driver.executed).toEqual(['up 1.1']);
    expect(driver.history.get('1')?.statementsApplied).toBe(1);
  });

  it('marks a journaled migration failed after the statement retries are spent', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 1.2', Infinity, lockTimeout) });
    const { report, sleeps } = await run(driver, [migration('1', 3)], { lockRetries: 1 });
    expect(errorOf(report).details).toMatchObject({ engineKind: 'lock_timeout', statementIndex: 2, statementsApplied: 1, rolledBack: false });
    expect(sleeps).toEqual([500]);
    expect(driver.executed).toEqual(['up 1.1']);
    const row = driver.history.get('1');
    expect(row).toMatchObject({ state: 'failed', statementsApplied: 1 });
    expect(JSON.parse(row?.error ?? 'null')).toMatchObject({ direction: 'up', engineKind: 'lock_timeout' });
  });
});

describe('statement failures', () => {
  it('turns the server position into file line/column in the details, the message and `at`', async () => {
    const sql = 'CREATE TABLE t (\n  id int,\n  bad typo\n)';
    const m = migration('1', ['SELECT 1', sql]);
    const driver = createFakeDriver({ failOn: failTimes(sql, 1, () => new FakeEngineError('type "typo" does not exist', 'other', 34, '42704')) });
    const { report } = await run(driver, [m]);

    const error = errorOf(report);
    // The statement starts on line 5, column 1: "typo" is two lines further down, column 7.
    expect(error.details).toMatchObject({ line: 7, column: 7, statementIndex: 2, engineCode: '42704', engineMessage: 'type "typo" does not exist' });
    expect(error.at).toEqual({ file: m.up.file, line: 7, column: 7 });
    expect(error.message).toContain(`${m.up.file}:7:7`);
  });

  it('reports the statement start when the server gives no position', async () => {
    const m = migration('1', 2);
    const driver = createFakeDriver({ failOn: failTimes('up 1.2', 1, () => new Error('boom')) });
    const error = errorOf((await run(driver, [m])).report);
    expect(error.at).toEqual({ file: m.up.file, line: 5, column: 1 });
  });

  it('adds what a failed journaled statement left behind to the hint, the details and the failed row', async () => {
    const leftover = 'index x is INVALID: drop it with DROP INDEX CONCURRENTLY x before retrying.';
    const driver = createFakeDriver({ transactionalDdl: false, leftovers: [leftover], failOn: failTimes('up 1.2', 1, () => new Error('deadlock detected')) });
    const { report } = await run(driver, [migration('1', 3)]);

    const error = errorOf(report);
    expect(error.code).toBe('E_MIGRATION_FAILED');
    expect(error.hint?.startsWith(leftover)).toBe(true);
    expect(error.hint).toContain('migrate up --resume');
    expect(error.details['leftovers']).toEqual([leftover]);
    expect(error.details).toMatchObject({ statementIndex: 2, statementsApplied: 1 });
    expect(error.cause).toBeInstanceOf(Error);
    const row = driver.history.get('1');
    expect(row?.state).toBe('failed');
    expect(JSON.parse(row?.error ?? 'null')).toMatchObject({ leftovers: [leftover], direction: 'up' });
  });

  it('leaves the hint alone when nothing was left behind', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 1.2', 1, () => new Error('boom')) });
    const error = errorOf((await run(driver, [migration('1', 3)])).report);
    expect(driver.calls).toContain('leftovers');
    expect(error.hint).toMatch(/^This migration ran outside a transaction/);
    expect(error.details['leftovers']).toBeUndefined();
  });

  it('keeps a journaled row in_progress when the connection is lost: the statement outcome is unknown', async () => {
    const driver = createFakeDriver({
      transactionalDdl: false,
      leftovers: ['never asked'],
      failOn: failTimes('up 1.2', 1, () => new FakeEngineError('Connection terminated unexpectedly', 'connection_lost')),
    });
    const { report } = await run(driver, [migration('1', 3)]);

    const error = errorOf(report);
    expect(error.code).toBe('E_MIGRATION_FAILED');
    expect(error.message).toMatch(/connection was lost/);
    expect(error.message).toContain('statement 2 of 3');
    expect(error.details).toMatchObject({ engineKind: 'connection_lost', statementsApplied: 1 });
    expect(error.hint).toContain('in_progress');
    expect(driver.history.get('1')).toMatchObject({ state: 'in_progress', statementsApplied: 1, statementsTotal: 3 });
    expect(driver.calls).not.toContain('writeHistory:failed');
    expect(driver.calls).not.toContain('leftovers');
  });
});

describe('lost lock', () => {
  it('stops a transactional migration before its second statement and writes nothing more', async () => {
    const driver = createFakeDriver();
    let mark = -1;
    const { report, events } = await run(driver, [migration('1', 3), migration('2')], {
      onEvent: (event) => {
        if (event.type === 'statement.executed' && event.index === 0) {
          driver.lockGone = true;
          mark = driver.calls.length;
        }
      },
    });

    expect(report.outcome).toBe('failure');
    expect(errorOf(report).code).toBe('E_LOCK_LOST');
    expect(count(driver.calls, 'execute')).toBe(1);
    expect(driver.calls.slice(mark)).toEqual(['rollback', 'unlock']);
    expect(driver.executed).toEqual([]);
    expect(driver.history.size).toBe(0);
    expect(driver.audit.map((a) => a.event)).toEqual(['run.started']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'migration.failed', id: '1', code: 'E_LOCK_LOST' }));
    expect(events.some((e) => e.type === 'migration.started' && e.id === '2')).toBe(false);
  });

  it('leaves a journaled migration in_progress with what was applied, and no failed row', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    let mark = -1;
    const { report } = await run(driver, [migration('1', 3)], {
      onEvent: (event) => {
        if (event.type === 'statement.executed' && event.index === 0) {
          driver.lockGone = true;
          mark = driver.calls.length;
        }
      },
    });

    expect(errorOf(report).code).toBe('E_LOCK_LOST');
    expect(driver.executed).toEqual(['up 1.1']);
    // The statement that did run was journaled with it; after the lost-lock check nothing is written.
    expect(driver.calls.slice(mark)).toEqual(['unlock']);
    expect(driver.history.get('1')).toMatchObject({ state: 'in_progress', statementsApplied: 1 });
    expect(driver.audit.map((a) => a.event)).toEqual(['run.started']);
  });
});

describe('up --resume', () => {
  const failThird = (): FailOn => failTimes('up 1.3', 1, () => new Error('no such table: missing'));

  async function failedRun(driver: FakeDriver, files: ReadonlyArray<Migration>): Promise<void> {
    const { report } = await run(driver, files);
    expect(errorOf(report).details).toMatchObject({ statementIndex: 3, statementsApplied: 2 });
    expect(driver.history.get('1')).toMatchObject({ state: 'failed', statementsApplied: 2, statementsTotal: 4 });
  }

  it('runs only the statements after the applied prefix, then the pending migrations', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failThird() });
    const files = [migration('1', 4), migration('2', 1)];
    await failedRun(driver, files);
    expect(driver.history.get('1')?.appliedHash).toBe(prefixHash(files[0]?.up.statements.slice(0, 2) ?? []));
    const before = driver.executed.length;

    const { report, events } = await run(driver, files, { resume: true });

    expect(report.outcome).toBe('success');
    expect(report.completed.map((c) => `${c.action} ${c.id}`)).toEqual(['resume 1', 'apply 2']);
    expect(driver.executed.slice(before)).toEqual(['up 1.3', 'up 1.4', 'up 2.1']);
    expect(events.filter((e) => e.type === 'statement.executed' && e.id === '1').map((e) => e.type === 'statement.executed' && e.index)).toEqual([2, 3]);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 4, statementsTotal: 4, batch: 2, error: null });
    expect(driver.history.get('1')?.appliedHash).toBe(prefixHash(files[0]?.up.statements ?? []));
    expect(driver.audit.find((a) => a.event === 'migration.applied' && a.version === '1')?.detail).toContain('"resumedFrom":3');
    expectValidChain(driver.audit);
  });

  it('accepts a fix to the failed statement and those after it', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failThird() });
    await failedRun(driver, [migration('1', 4)]);
    const fixed = migration('1', ['up 1.1', 'up 1.2', 'up 1.3 fixed', 'up 1.4 fixed'], { transactional: true, checksum: 'sha256v1:fixed' });
    const before = driver.executed.length;

    const { report } = await run(driver, [fixed], { resume: true });
    expect(report.outcome).toBe('success');
    expect(driver.executed.slice(before)).toEqual(['up 1.3 fixed', 'up 1.4 fixed']);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 4, checksum: 'sha256v1:fixed' });
  });

  it('resumes journaled even on an engine with transactional DDL', async () => {
    const driver = createFakeDriver({ failOn: failThird() });
    const files = [migration('1', 4, { transactional: false })];
    await failedRun(driver, files);
    const before = driver.calls.length;
    const { report } = await run(driver, files, { resume: true });
    expect(report.outcome).toBe('success');
    expect(executedInTransaction(driver.calls.slice(before))).toBe(0);
    expect(driver.executed).toEqual(['up 1.1', 'up 1.2', 'up 1.3', 'up 1.4']);
  });

  it('refuses when an applied statement was edited since, and leaves the failed row as it was', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failThird() });
    await failedRun(driver, [migration('1', 4)]);
    const failedRow = driver.history.get('1');
    const edited = migration('1', ['up 1.1 edited', 'up 1.2', 'up 1.3', 'up 1.4'], { checksum: 'sha256v1:edited' });
    const before = { executed: driver.executed.length, calls: driver.calls.length };

    // Refused while planning, before any step: a dry run shows the very same refusal.
    const refusal = run(driver, [edited], { resume: true });
    await expect(refusal).rejects.toMatchObject({ code: 'E_FAILED_MIGRATION', details: { version: '1', statementsApplied: 2 } });
    await expect(refusal).rejects.toMatchObject({ hint: expect.stringContaining('migrate repair') });
    expect(driver.executed.length).toBe(before.executed);
    expect(driver.calls.slice(before.calls).filter((c) => c.startsWith('writeHistory'))).toEqual([]);
    expect(driver.history.get('1')).toEqual(failedRow);
  });

  it('records an in_progress row whose statements all ran (killed before its final write) as applied, running nothing', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    const files = [migration('1', 3)];
    await run(driver, files, { crashAt: 'commit.before' });
    expect(driver.history.get('1')).toMatchObject({ state: 'in_progress', statementsApplied: 3 });
    const before = driver.executed.length;

    const { report } = await run(driver, files, { resume: true });
    expect(report.outcome).toBe('success');
    expect(driver.executed.length).toBe(before);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 3 });
  });

  it('still refuses without --resume', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failThird() });
    await failedRun(driver, [migration('1', 4)]);
    await expect(run(driver, [migration('1', 4)])).rejects.toMatchObject({ code: 'E_FAILED_MIGRATION' });
  });
});

describe('fault points', () => {
  it('reaches every boundary of a transactional migration in order', async () => {
    const driver = createFakeDriver();
    const { faults, report } = await run(driver, [migration('1', 3)]);
    expect(report.outcome).toBe('success');
    expect(faults).toEqual([
      'lock.acquired',
      'statement.before', 'statement.after',
      'statement.before', 'statement.after',
      'statement.before', 'statement.after',
      'commit.before', 'commit.after',
    ]);
  });

  it('commits between commit.before and commit.after (transactional), writes the final row between them (journaled)', async () => {
    for (const transactionalDdl of [true, false]) {
      const driver = createFakeDriver({ transactionalDdl });
      const seen: Array<{ point: FaultPoint; committed: boolean; state: string | undefined }> = [];
      const events: MigratorEvent[] = [];
      await runPlan({
        driver, context, emit: (e) => events.push(e), signal: new AbortController().signal, lockTimeoutMs: 1_000, direction: 'up',
        plan: (history) => planUp([migration('1', 1)], history, { policy: { outOfOrder: false } }),
        fault: (point) => seen.push({ point, committed: driver.calls.includes('commit'), state: driver.history.get('1')?.state }),
      });
      const at = (point: FaultPoint) => seen.find((s) => s.point === point);
      if (transactionalDdl) {
        expect(at('commit.before')).toMatchObject({ committed: false });
        expect(at('commit.after')).toMatchObject({ committed: true, state: 'applied' });
      } else {
        expect(at('commit.before')).toMatchObject({ state: 'in_progress' });
        expect(at('commit.after')).toMatchObject({ state: 'applied' });
      }
    }
  });
});

describe('runRepair', () => {
  function repair(driver: FakeDriver, migrations: ReadonlyArray<Migration>, mark?: RepairInput['mark']) {
    return runRepair({
      driver, context: { ...context, command: 'migrate repair' }, emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1_000,
      migrations, mark,
    });
  }

  const detailOf = (entry: ChainedAuditEntry | undefined): unknown => JSON.parse(entry?.detail ?? 'null');

  /** Version 1 applied, version 2 (3 statements, journaled) failed after 1. */
  async function withFailedRow(): Promise<{ driver: FakeDriver; files: Migration[] }> {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 2.2', 1, () => new Error('boom')) });
    const files = [migration('1'), migration('2', 3)];
    await run(driver, files);
    expect(driver.history.get('2')).toMatchObject({ state: 'failed', statementsApplied: 1, statementsTotal: 3 });
    return { driver, files };
  }

  it('realigns a drifted checksum, audits it and makes the history valid again', async () => {
    const driver = createFakeDriver();
    const files = [migration('1'), migration('2')];
    await run(driver, files);
    const oldSum = files[1]?.checksum;
    const drifted = [files[0] as Migration, migration('2', 2, { checksum: 'sha256v1:drifted' })];
    expect(inspect(drifted, [...driver.history.values()], { outOfOrder: false }).problems.map((p) => p.code)).toEqual(['E_CHECKSUM_MISMATCH']);
    const auditBefore = driver.audit.length;

    const changes = await repair(driver, drifted);

    expect(changes).toEqual([{ version: '2', change: 'checksum', from: oldSum, to: 'sha256v1:drifted' }]);
    expect(driver.history.get('2')).toMatchObject({ checksum: 'sha256v1:drifted', state: 'applied', batch: 1 });
    expect(driver.history.get('1')?.checksum).toBe(files[0]?.checksum);
    expect(driver.audit).toHaveLength(auditBefore + 1);
    expect(driver.audit.at(-1)).toMatchObject({ event: 'repair', outcome: 'success', version: '2', checksum: 'sha256v1:drifted', command: 'migrate repair' });
    expect(detailOf(driver.audit.at(-1))).toEqual({ version: '2', change: 'checksum', from: oldSum, to: 'sha256v1:drifted' });
    expectValidChain(driver.audit);
    expect(inspect(drifted, [...driver.history.values()], { outOfOrder: false }).problems).toEqual([]);
    expect(driver.writesWithoutLock).toEqual([]);
    expect(driver.calls.at(-1)).toBe('unlock');
    expect(driver.holdsLock).toBe(false);
  });

  it('refuses to realign checksums while a failed row exists, writing nothing', async () => {
    const { driver, files } = await withFailedRow();
    const drifted = [migration('1', 2, { checksum: 'sha256v1:drifted' }), files[1] as Migration];
    const before = { history: [...driver.history.values()], audit: driver.audit.length };

    await expect(repair(driver, drifted)).rejects.toMatchObject({ code: 'E_FAILED_MIGRATION', message: expect.stringContaining('2 (failed, 1 of 3 statements)') });
    expect([...driver.history.values()]).toEqual(before.history);
    expect(driver.audit).toHaveLength(before.audit);
    expect(driver.holdsLock).toBe(false);
  });

  it('settles a failed row as applied: every statement counted, the file checksum recorded', async () => {
    const { driver, files } = await withFailedRow();
    const fixedByHand = [files[0] as Migration, migration('2', 3, { checksum: 'sha256v1:fixed' })];

    const changes = await repair(driver, fixedByHand, { version: 'V2', as: 'applied' });

    expect(changes).toEqual([{ version: '2', change: 'applied', from: 'failed', to: 'applied' }]);
    const row = driver.history.get('2');
    expect(row).toMatchObject({ state: 'applied', statementsApplied: 3, statementsTotal: 3, checksum: 'sha256v1:fixed', appliedBy: 'alice' });
    expect(JSON.parse(row?.error ?? 'null')).toMatchObject({ repairedFrom: 'failed', by: 'alice' });
    expect(driver.audit.at(-1)).toMatchObject({ event: 'repair', version: '2', checksum: 'sha256v1:fixed' });
    expect(detailOf(driver.audit.at(-1))).toEqual({ version: '2', change: 'applied', from: 'failed', to: 'applied' });
    expectValidChain(driver.audit);
    const plan = planUp(fixedByHand, [...driver.history.values()], { policy: { outOfOrder: false } });
    expect(plan.steps).toEqual([]);
  });

  it('settles a failed row as rolled back: the next up applies it again', async () => {
    const { driver, files } = await withFailedRow();

    const changes = await repair(driver, files, { version: '2', as: 'rolled_back' });

    expect(changes).toEqual([{ version: '2', change: 'rolled_back', from: 'failed', to: 'rolled_back' }]);
    expect(driver.history.get('2')).toMatchObject({ state: 'rolled_back', statementsApplied: 1 });
    expect(detailOf(driver.audit.at(-1))).toEqual({ version: '2', change: 'rolled_back', from: 'failed', to: 'rolled_back' });
    expectValidChain(driver.audit);
    const plan = planUp(files, [...driver.history.values()], { policy: { outOfOrder: false } });
    expect(plan.steps.map((s) => `${s.action} ${s.migration.id}`)).toEqual(['apply 2']);
  });

  it('settles an in_progress row (a lost connection) too', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: failTimes('up 1.2', 1, () => new FakeEngineError('gone', 'connection_lost')) });
    const files = [migration('1', 2)];
    await run(driver, files);
    expect(driver.history.get('1')?.state).toBe('in_progress');
    expect(await repair(driver, files, { version: '1', as: 'applied' })).toEqual([{ version: '1', change: 'applied', from: 'in_progress', to: 'applied' }]);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 2 });
  });

  it.each([
    { name: 'an unknown version', version: '9' },
    { name: 'a version that did not fail', version: '1' },
  ])('refuses to settle $name with E_UNKNOWN_TARGET, writing nothing', async ({ version }) => {
    const { driver, files } = await withFailedRow();
    const auditBefore = driver.audit.length;
    await expect(repair(driver, files, { version, as: 'applied' })).rejects.toMatchObject({ code: 'E_UNKNOWN_TARGET' });
    expect(driver.audit).toHaveLength(auditBefore);
    expect(driver.history.get('2')?.state).toBe('failed');
    expect(driver.holdsLock).toBe(false);
  });

  it('returns [] and writes no audit row when there is nothing to repair', async () => {
    const driver = createFakeDriver();
    const files = [migration('1'), migration('2')];
    await run(driver, files);
    const before = { audit: driver.audit.length, calls: driver.calls.length };

    expect(await repair(driver, files)).toEqual([]);
    expect(driver.audit).toHaveLength(before.audit);
    expect(driver.calls.slice(before.calls)).toEqual(['tryLock', 'readState', 'unlock']);
  });

  it('returns [] on a database that was never migrated', async () => {
    const driver = createFakeDriver();
    expect(await repair(driver, [migration('1')])).toEqual([]);
    expect(driver.audit).toEqual([]);
    expect(driver.format).toBeUndefined();
  });
});

describe('a failed journaled down', () => {
  it('points at repair, which is what settles a half-reverted migration', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, failOn: (sql) => (sql === 'down 1.2' ? new Error('cannot drop') : undefined) });
    const file = { ...migration('1', 2), down: script('migrations/U1__m1.sql', ['down 1.1', 'down 1.2'], true) };
    expect((await run(driver, [file])).report.outcome).toBe('success');
    const events: MigratorEvent[] = [];
    const report = await runPlan({
      driver, context, emit: (e) => void events.push(e), signal: new AbortController().signal, lockTimeoutMs: 1000, direction: 'down',
      plan: (history) => planDown([file], history, { kind: 'steps', count: 1 }),
    });
    expect(errorOf(report).hint).toContain('migrate repair --version 1 --as rolled-back');
    expect(driver.history.get('1')).toMatchObject({ state: 'failed', statementsApplied: 1 });
  });
});

describe('journal protocol and the statement in flight at a crash', () => {
  it.each([
    ['INSERT INTO t VALUES (1)', true],
    ['  /* note */ -- x\n update t set a = 1', true],
    ['(SELECT 1)', true],
    ['WITH x AS (SELECT 1) DELETE FROM t', true],
    ['CREATE TABLE t (a int)', false],
    ['ALTER TABLE t ADD COLUMN b int', false],
    ['CALL refresh()', false],
    ['', false],
  ])('isDataStatement(%j) is %s', (sql, expected) => {
    expect(isDataStatement(sql)).toBe(expected);
  });

  it('journals a row change in the same transaction, and records DDL in flight with the fingerprint before it', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    await run(driver, [migration('1', ['INSERT INTO t VALUES (1)', 'CREATE TABLE u (x int)'])]);
    const calls = driver.calls.filter((c) => ['begin', 'commit', 'execute', 'schemaFingerprint', 'writeHistory:in_progress', 'writeHistory:applied'].includes(c));
    expect(calls).toEqual([
      'begin', 'execute', 'writeHistory:in_progress', 'commit',
      // A DDL form the fingerprint shows needs no write after it: the final one records it done.
      'schemaFingerprint', 'writeHistory:in_progress', 'execute',
      'begin', 'writeHistory:applied', 'commit',
    ]);
  });

  it('records any other statement done at once, so a resume never runs it twice', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    await run(driver, [migration('1', ['CALL refresh()', 'CREATE TABLE u (x int)'])]);
    const calls = driver.calls.filter((c) => ['execute', 'schemaFingerprint', 'writeHistory:in_progress'].includes(c));
    expect(calls).toEqual(['schemaFingerprint', 'writeHistory:in_progress', 'execute', 'writeHistory:in_progress', 'schemaFingerprint', 'writeHistory:in_progress', 'execute']);
  });

  it('journals the objects a DDL statement names with its fingerprint; a resume compares the same scope', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    const file = migration('1', ['CREATE TABLE u (x int)']);
    const written: HistoryRow[] = [];
    const write = driver.writeHistory.bind(driver);
    driver.writeHistory = async (row) => {
      written.push(row);
      await write(row);
    };
    await run(driver, [file], { crashAt: 'statement.after' });
    // What a SIGKILL during the statement leaves: the row written just before it, the table made.
    const inFlight = written.find((row) => row.state === 'in_progress');
    expect(inFlight).toMatchObject({ statementsApplied: 0 });
    expect(JSON.parse(inFlight?.error ?? '{}')).toMatchObject({ inFlight: { index: 0, scope: { tables: ['u'], routines: [], triggersOf: [] } } });
    driver.history.set('1', inFlight as HistoryRow);
    const { report, events } = await run(driver, [file], { resume: true });
    expect(report.outcome).toBe('success');
    expect(events).toContainEqual(expect.objectContaining({ type: 'statement.recovered', tookEffect: true }));
    expect(driver.executed).toEqual(['CREATE TABLE u (x int)']);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 1 });
  });

  /** The state a SIGKILL leaves while statement 2 of 3 (DDL) runs: 1 recorded, 2 in flight. */
  async function crashedDuringSecond(driver: FakeDriver, secondCompleted: boolean): Promise<Migration> {
    const file = migration('1', 3);
    driver.format = 1;
    driver.executed.push('up 1.1');
    const fingerprint = await driver.schemaFingerprint();
    if (secondCompleted) driver.executed.push('up 1.2');
    driver.history.set('1', {
      version: '1', description: file.description, kind: 'versioned', script: file.file, checksum: file.checksum, downChecksum: null,
      state: 'in_progress', batch: 1, statementsTotal: 3, statementsApplied: 1, appliedHash: prefixHash(file.up.statements.slice(0, 1)),
      appliedBy: 'bob', appliedAt: NOW.toISOString(), executionMs: 5, error: JSON.stringify({ direction: 'up', inFlight: { index: 1, fingerprint } }),
      runId: 'run-killed', toolVersion: '0.1.0',
    });
    return file;
  }

  it('names the statement in flight in the problem, and points at --resume', async () => {
    const driver = createFakeDriver({ transactionalDdl: false });
    const file = await crashedDuringSecond(driver, true);
    const problem = inspect([file], [...driver.history.values()], { outOfOrder: false }).problems[0];
    expect(problem?.message).toMatch(/after 1 of 3 statements; statement 2 was running when it stopped \("migrate up --resume" checks whether it took effect\)/);
  });

  it.each([
    [true, ['up 1.3']],
    [false, ['up 1.2', 'up 1.3']],
  ])('resumes after it when it had completed (%s), else runs it again', async (secondCompleted, expected) => {
    const driver = createFakeDriver({ transactionalDdl: false });
    const file = await crashedDuringSecond(driver, secondCompleted);
    const before = driver.executed.length;
    const { report, events } = await run(driver, [file], { resume: true });
    expect(report.outcome).toBe('success');
    expect(driver.executed.slice(before)).toEqual(expected);
    expect(events).toContainEqual({ type: 'statement.recovered', id: '1', index: 1, tookEffect: secondCompleted });
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: 3, appliedHash: prefixHash(file.up.statements) });
  });

  it('stops a resume when the statement in flight left objects behind, naming them and the next step', async () => {
    const driver = createFakeDriver({ transactionalDdl: false, leftovers: ['index public.i on t is INVALID: drop it.'] });
    const file = await crashedDuringSecond(driver, false);
    const before = driver.executed.length;
    const { report } = await run(driver, [file], { resume: true });
    const error = errorOf(report);
    expect(error.code).toBe('E_FAILED_MIGRATION');
    expect(error.hint).toBe('index public.i on t is INVALID: drop it. Then run "migrate up --resume" again.');
    expect(driver.executed.length).toBe(before);
    expect(driver.history.get('1')?.state).toBe('in_progress');
  });
});
