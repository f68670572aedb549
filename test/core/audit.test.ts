import { describe, expect, it } from 'vitest';
import type { LockHolderInfo } from '../../src/core/events.js';
import type { AuditEntry, Migration, RunContext } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import type { ChainedAuditEntry } from '../../src/core/ports.js';
import { auditHash, createAuditChain } from '../../src/core/run/audit.js';
import { METADATA_FORMAT, runPlan } from '../../src/core/run/executor.js';
import { auditEntry } from '../../src/core/run/records.js';
import { takeRunLock, UNIQUE_CHAIN_FORMAT } from '../../src/core/run/run-lock.js';
import { verifyAudit } from '../../src/core/run/verify-audit.js';
import { createFakeDriver, type FakeDriver } from '../support/fake-driver.js';
import { v } from '../unit/plan-fixtures.js';

const context: RunContext = {
  runId: 'run-me', actor: 'alice', host: 'ci-7', pid: 4242, environment: 'test', command: 'migrate up', toolVersion: '0.1.0',
  now: () => new Date('2026-03-01T12:00:00.000Z'),
};
const holder: LockHolderInfo = { owner: 'run-other', host: 'ci-8', pid: 7, user: 'bob' };

const entry = (event: string): AuditEntry => auditEntry(context, { event, outcome: 'info' });

/** Another session appends `event` after the current head, as a lock-timeout row would be. */
function appendForeign(driver: FakeDriver, event: string): ChainedAuditEntry {
  const prevHash = driver.audit.at(-1)?.hash ?? '';
  const foreign = { ...auditEntry({ ...context, runId: 'run-other' }, { event, outcome: 'failure' }), prevHash, hash: '' };
  const row = { ...foreign, hash: auditHash(prevHash, foreign) };
  driver.audit.push(row);
  return row;
}

function expectLinear(audit: ReadonlyArray<ChainedAuditEntry>): void {
  audit.forEach((row, index) => {
    expect(row.prevHash, `row ${index + 1}`).toBe(index === 0 ? '' : audit[index - 1]?.hash);
    expect(row.hash, `row ${index + 1}`).toBe(auditHash(row.prevHash, row));
  });
}

describe('createAuditChain', () => {
  it('re-chains after a row another session appended since the head was read', async () => {
    const driver = createFakeDriver();
    const chain = createAuditChain(driver, '');
    await chain.append(entry('run.started'));
    const foreign = appendForeign(driver, 'lock.timeout');
    await chain.append(entry('migration.applied'));
    expect(driver.audit.map((row) => row.event)).toEqual(['run.started', 'lock.timeout', 'migration.applied']);
    expect(driver.audit[2]?.prevHash).toBe(foreign.hash);
    expect(chain.mark()).toBe(driver.audit[2]?.hash);
    expectLinear(driver.audit);
  });

  it('gives up with E_AUDIT_TAMPERED when other sessions keep appending first', async () => {
    const driver = createFakeDriver();
    let heads = 0;
    driver.appendAudit = async () => false;
    driver.readAuditHead = async () => `head-${++heads}`;
    await expect(createAuditChain(driver, '').append(entry('run.started'))).rejects.toMatchObject({ code: 'E_AUDIT_TAMPERED', message: /appended 5 times in a row/ });
    expect(heads).toBe(5);
  });

  it('fails at once when the row chained after the head is invisible to this transaction', async () => {
    const driver = createFakeDriver();
    driver.appendAudit = async () => false;
    await expect(createAuditChain(driver, '').append(entry('run.started'))).rejects.toMatchObject({ code: 'E_AUDIT_TAMPERED', message: /cannot see/ });
  });
});

describe('runPlan and the audit head', () => {
  const files = (): Migration[] => [v('1'), v('2')];
  const run = (driver: FakeDriver, onStarted?: () => void) => runPlan({
    driver, context, signal: new AbortController().signal, lockTimeoutMs: 1_000, direction: 'up',
    emit: (event) => event.type === 'migration.started' && onStarted?.(),
    plan: (history) => planUp(files(), history, { policy: { outOfOrder: false } }),
  });

  it('reports the hash of the last row it appended', async () => {
    const driver = createFakeDriver();
    const report = await run(driver);
    expect(report.auditHead).toBe(driver.audit.at(-1)?.hash);
    expect(driver.audit.at(-1)?.event).toBe('run.finished');
  });

  it('reports the head as it is when there is nothing to do', async () => {
    const driver = createFakeDriver();
    await run(driver);
    const head = driver.audit.at(-1)?.hash;
    const report = await run(driver);
    expect(report.plan.steps).toEqual([]);
    expect(report.auditHead).toBe(head);
  });

  it('reports an empty head for an empty database with nothing to do', async () => {
    const report = await runPlan({
      driver: createFakeDriver(), context, signal: new AbortController().signal, lockTimeoutMs: 1_000, direction: 'up', emit: () => undefined,
      plan: (history) => planUp([], history, { policy: { outOfOrder: false } }),
    });
    expect(report.auditHead).toBe('');
  });

  it('keeps one linear chain when another session appends while the run holds the lock', async () => {
    const driver = createFakeDriver();
    const report = await run(driver, () => appendForeign(driver, 'lock.timeout'));
    expect(report.outcome).toBe('success');
    expect(driver.audit.map((row) => row.event)).toEqual(['run.started', 'lock.timeout', 'migration.applied', 'lock.timeout', 'migration.applied', 'run.finished']);
    expectLinear(driver.audit);
    expect(report.auditHead).toBe(driver.audit.at(-1)?.hash);
  });
});

describe('takeRunLock', () => {
  const timeOut = (driver: FakeDriver) => takeRunLock(driver, context, { timeoutMs: 0, emit: () => undefined });

  it('audits a lock timeout without the lock, chained after the head, and rethrows it', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder, auditAppendWithoutLock: true });
    driver.format = METADATA_FORMAT;
    appendForeign(driver, 'run.started');
    await expect(timeOut(driver)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' });
    expect(driver.writesWithoutLock).toEqual(['appendAudit:lock.timeout']);
    const row = driver.audit.at(-1);
    expect(row).toMatchObject({ event: 'lock.timeout', outcome: 'failure', runId: 'run-me', actor: 'alice' });
    expect(JSON.parse(row?.detail ?? '{}')).toMatchObject({ code: 'E_LOCK_TIMEOUT', holder });
    expectLinear(driver.audit);
  });

  const silent: ReadonlyArray<{ name: string; capability: boolean; format: number | undefined }> = [
    { name: 'where the engine cannot take it', capability: false, format: METADATA_FORMAT },
    { name: 'without metadata tables (it creates nothing)', capability: true, format: undefined },
    { name: 'with metadata tables older than the unique chain', capability: true, format: UNIQUE_CHAIN_FORMAT - 1 },
  ];
  for (const c of silent) {
    it(`writes nothing ${c.name}`, async () => {
      const driver = createFakeDriver({ lockHeldBy: holder, auditAppendWithoutLock: c.capability });
      driver.format = c.format;
      await expect(timeOut(driver)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' });
      expect(driver.writesWithoutLock).toEqual([]);
      expect(driver.audit).toEqual([]);
    });
  }

  it('still reports the timeout when the audit write fails', async () => {
    const driver = createFakeDriver({ lockHeldBy: holder, auditAppendWithoutLock: true });
    driver.format = METADATA_FORMAT;
    driver.appendAudit = async () => {
      throw new Error('lock wait timeout');
    };
    await expect(timeOut(driver)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' });
  });
});

describe('verifyAudit', () => {
  async function chainOf(count: number): Promise<FakeDriver> {
    const driver = createFakeDriver();
    const chain = createAuditChain(driver, '');
    for (let n = 1; n <= count; n++) await chain.append(entry(`event.${n}`));
    return driver;
  }

  it('pages through every row in id order', async () => {
    const driver = await chainOf(5);
    const walk = await verifyAudit(driver, { pageSize: 2 });
    expect(walk).toMatchObject({ checked: 5, head: driver.audit.at(-1)?.hash, lastId: 5, broken: undefined });
    expect(driver.calls.filter((call) => call === 'readAudit')).toHaveLength(3);
  });

  it('stops reading at the first bad row', async () => {
    const driver = await chainOf(6);
    const second = driver.audit[1];
    if (second) driver.audit[1] = { ...second, actor: 'mallory' };
    const walk = await verifyAudit(driver, { pageSize: 2 });
    expect(walk.broken).toMatchObject({ id: 2, kind: 'edited' });
    expect(walk.checked).toBe(1);
    expect(driver.calls.filter((call) => call === 'readAudit')).toHaveLength(1);
  });

  it('finds the anchors it is given', async () => {
    const driver = await chainOf(3);
    const anchor = driver.audit[1]?.hash ?? '';
    expect((await verifyAudit(driver, { anchors: [anchor] })).anchorsFound).toEqual([anchor]);
  });
});
