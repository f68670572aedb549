/**
 * Files too large to hold (source/streamed.ts): the loader passes over them once and keeps no
 * statements; the executor reads them again as it runs, checks a resume's prefix on the way and
 * the checksum at the end. The threshold is lowered here; test/e2e/streaming.test.ts runs real
 * 17 MiB files through bin/migrate.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/core/source/loader.js';
import { runPlan, type RunReport } from '../../src/core/run/executor.js';
import { planUp, type Plan } from '../../src/core/plan/index.js';
import { prefixHash } from '../../src/core/journal-hash.js';
import type { HistoryRow, Migration, RunContext } from '../../src/core/model.js';
import { createFakeDriver, type FakeDriver } from '../support/fake-driver.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const context: RunContext = { runId: 'run-streamed', actor: 'alice', host: 'ci-7', pid: 4242, environment: 'test', command: 'migrate up', toolVersion: '0.1.0', now: () => NOW };

const STATEMENTS = ['CREATE TABLE a (x int)', ...Array.from({ length: 20 }, (_, i) => `INSERT INTO a VALUES (${i}, 'it''s; row ${i}')`)];

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-streamed-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const fileText = (statements: ReadonlyArray<string>): string => statements.map((sql) => `${sql};\n`).join('');

async function load(dir: string, streamAboveBytes: number | undefined, extra: { placeholders?: Record<string, string> } = {}) {
  return loadMigrations({ dirs: [dir], cwd: dir, syntax: createFakeDriver().syntax, streamAboveBytes, ...(extra.placeholders ? { placeholders: { values: extra.placeholders } as never } : {}) });
}

async function run(driver: FakeDriver, files: ReadonlyArray<Migration>, resume = false): Promise<RunReport> {
  const plan = (history: ReadonlyArray<HistoryRow>): Plan => planUp(files, history, { policy: { outOfOrder: false }, resume });
  return runPlan({ driver, context, emit: () => undefined, signal: new AbortController().signal, lockTimeoutMs: 1000, direction: 'up', plan, sleep: async () => undefined });
}

describe('loading a file over the stream threshold', () => {
  it('keeps no statements, counts them, and checksums it as a file read whole', async () => {
    const dir = project({ 'V1__big.sql': fileText(STATEMENTS) });
    const whole = (await load(dir, undefined)).migrations[0];
    const streamed = (await load(dir, 100)).migrations[0];
    expect(whole?.up.stream).toBeUndefined();
    expect(whole?.up.statements).toHaveLength(STATEMENTS.length);
    expect(streamed?.up.statements).toEqual([]);
    expect(streamed?.up.stream).toMatchObject({ statements: STATEMENTS.length, allData: false, absolute: path.join(dir, 'V1__big.sql') });
    expect(streamed?.checksum).toBe(whole?.checksum);
  });

  it('says when every statement is a data statement (such a file runs in one transaction on MySQL)', async () => {
    const dir = project({ 'V1__rows.sql': fileText(STATEMENTS.slice(1)) });
    expect((await load(dir, 100)).migrations[0]?.up.stream?.allData).toBe(true);
  });

  it.each([
    ['a "-- migrate:down" section at its end', `-- migrate:up\n${fileText(STATEMENTS)}-- migrate:down\nDROP TABLE a;\n`],
    ['a directive', `-- migrate:transaction off\n${fileText(STATEMENTS)}`],
    ['a COMMIT of its own', `${fileText(STATEMENTS)}COMMIT;\n`],

  ])('reads a file with %s whole, as any other', async (_what, text) => {
    const dir = project({ 'V1__big.sql': text });
    const loaded = await load(dir, 100);
    expect(loaded.migrations[0]?.up.stream).toBeUndefined();
    expect(loaded.migrations[0]?.up.statements.length).toBeGreaterThan(0);
  });

  it('reads it whole when a "-- migrate:" line comes past its first chunks, so the parser reports it', async () => {
    const rows = fileText(Array.from({ length: 5000 }, (_, i) => `INSERT INTO a VALUES (${i})`));
    const dir = project({ 'V1__big.sql': `${rows}-- migrate:down\nDROP TABLE a;\n` });
    const loaded = await load(dir, 100);
    expect(loaded.migrations[0]?.up.stream).toBeUndefined();
    expect(loaded.problems).toContainEqual(expect.objectContaining({ code: 'E_PARSE', message: expect.stringContaining('before the first "-- migrate:" section') }));
  });

  it('reports an unterminated quote with its place', async () => {
    const dir = project({ 'V1__big.sql': `${fileText(STATEMENTS)}INSERT INTO a VALUES ('open;\n` });
    const { problems } = await load(dir, 100);
    expect(problems).toEqual([expect.objectContaining({ code: 'E_PARSE', at: expect.objectContaining({ file: 'V1__big.sql', line: STATEMENTS.length + 1 }) })]);
  });
});

describe('running a streamed file', () => {
  it('runs every statement in order, and records the count', async () => {
    const dir = project({ 'V1__big.sql': fileText(STATEMENTS) });
    const { migrations } = await load(dir, 100);
    const driver = createFakeDriver();
    const report = await run(driver, migrations);
    expect(report.outcome).toBe('success');
    expect(driver.executed).toEqual(STATEMENTS);
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsTotal: STATEMENTS.length, statementsApplied: STATEMENTS.length });
  });

  it('fails, rolled back, when the file changed after it was loaded', async () => {
    const dir = project({ 'V1__big.sql': fileText(STATEMENTS) });
    const { migrations } = await load(dir, 100);
    appendFileSync(path.join(dir, 'V1__big.sql'), 'INSERT INTO a VALUES (99);\n');
    const driver = createFakeDriver();
    const report = await run(driver, migrations);
    expect(report.outcome).toBe('failure');
    expect(report.error).toMatchObject({ code: 'E_CHECKSUM_MISMATCH', message: expect.stringContaining('changed while') });
    expect(driver.history.has('1')).toBe(false);
  });

  it('journaled, commits its row changes in groups with one journal write, closed before DDL', async () => {
    const statements = [...STATEMENTS, 'CREATE TABLE b (x int)', 'INSERT INTO b VALUES (1)'];
    const dir = project({ 'V1__big.sql': fileText(statements) });
    const { migrations } = await load(dir, 100);
    const driver = createFakeDriver({ transactionalDdl: false });
    expect((await run(driver, migrations)).outcome).toBe('success');
    const calls = driver.calls.filter((c) => ['begin', 'commit', 'execute', 'writeHistory:in_progress', 'writeHistory:applied'].includes(c));
    expect(calls).toEqual([
      'writeHistory:in_progress', 'execute',
      'begin', ...STATEMENTS.slice(1).map(() => 'execute'), 'writeHistory:in_progress', 'commit',
      'writeHistory:in_progress', 'execute',
      'begin', 'execute', 'writeHistory:in_progress', 'commit',
      'begin', 'writeHistory:applied', 'commit',
    ]);
    expect(driver.executed).toEqual(statements);
  });

  it('journaled, a failing row change undoes its group: the journal names the statements before it', async () => {
    const dir = project({ 'V1__big.sql': fileText(STATEMENTS) });
    const { migrations } = await load(dir, 100);
    const driver = createFakeDriver({ transactionalDdl: false, failOn: (sql) => (sql === STATEMENTS[10] ? new Error('no') : undefined) });
    expect((await run(driver, migrations)).outcome).toBe('failure');
    expect(driver.history.get('1')).toMatchObject({ state: 'failed', statementsApplied: 1 });
  });

  it('resumes after the applied prefix, checking it as it reads the file again', async () => {
    const dir = project({ 'V1__big.sql': fileText(STATEMENTS) });
    const { migrations } = await load(dir, 100);
    const [m] = migrations as [Migration];
    const driver = createFakeDriver({ transactionalDdl: false });
    driver.format = 1;
    const stopped = (hash: string | null): HistoryRow => ({
      version: '1', description: m.description, kind: 'versioned', script: m.file, checksum: m.checksum, downChecksum: null, state: 'failed', batch: 1,
      statementsTotal: STATEMENTS.length, statementsApplied: 3, appliedHash: hash, appliedBy: 'bob', appliedAt: NOW.toISOString(), executionMs: 5,
      error: JSON.stringify({ direction: 'up' }), runId: 'run-before', toolVersion: '0.1.0',
    });
    const statements = STATEMENTS.map((sql, i) => ({ sql, line: i + 1, column: 1 }));
    driver.history.set('1', stopped(prefixHash(statements.slice(0, 2))));
    const refused = await run(driver, migrations, true);
    expect(refused.error).toMatchObject({ code: 'E_FAILED_MIGRATION', message: expect.stringContaining('not the ones that were applied') });
    expect(driver.executed).toEqual([]);

    driver.history.set('1', stopped(prefixHash(statements.slice(0, 3))));
    const resumed = await run(driver, migrations, true);
    expect(resumed.outcome).toBe('success');
    expect(driver.executed).toEqual(STATEMENTS.slice(3));
    expect(driver.history.get('1')).toMatchObject({ state: 'applied', statementsApplied: STATEMENTS.length });
  });
});
