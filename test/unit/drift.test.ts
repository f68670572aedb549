/** Drift comparison (core/drift.ts), the stored record's codec (core/metadata.ts) and verify's notes. */
import { describe, expect, it } from 'vitest';
import { compareSchema, diffLines, driftProblem } from '../../src/core/drift.js';
import { decodeRecordedSchema, encodeRecordedSchema } from '../../src/core/metadata.js';
import type { HistoryRow } from '../../src/core/model.js';
import type { RecordedSchema } from '../../src/core/ports.js';
import { snapshotDigest } from '../../src/core/schema.js';
import { driftNotes } from '../../src/cli/render/drift.js';

const LINES = ['idx t_name CREATE INDEX t_name ON t (name)', 'table t CREATE TABLE t (id INTEGER, name TEXT)'];

const record = (overrides: Partial<RecordedSchema> = {}): RecordedSchema => ({
  fingerprint: snapshotDigest(LINES), lines: LINES, at: '2026-03-01T12:00:00.000Z', runId: 'run-1', version: '3', toolVersion: '0.1.0', ...overrides,
});

const row = (version: string, overrides: Partial<HistoryRow> = {}): HistoryRow => ({
  version, description: 'm', kind: 'versioned', script: `migrations/V${version}__m.sql`, checksum: 'c', downChecksum: null, state: 'applied',
  batch: 1, statementsTotal: 1, statementsApplied: 1, appliedHash: null, appliedBy: 'alice', appliedAt: '2026-03-01T11:59:59.000Z',
  executionMs: 1, error: null, runId: 'run-1', toolVersion: '0.1.0', ...overrides,
});

describe('encodeRecordedSchema / decodeRecordedSchema', () => {
  it('round-trips a record, a null version included', () => {
    for (const r of [record(), record({ version: null, lines: [] })]) expect(decodeRecordedSchema(encodeRecordedSchema(r))).toEqual(r);
  });

  it('reads an absent row as undefined', () => {
    expect(decodeRecordedSchema(undefined)).toBeUndefined();
    expect(decodeRecordedSchema(null)).toBeUndefined();
  });

  it('stores only the record fields', () => {
    expect(Object.keys(JSON.parse(encodeRecordedSchema({ ...record(), extra: 'x' } as RecordedSchema)) as object).sort()).toEqual(['at', 'fingerprint', 'lines', 'runId', 'toolVersion', 'version']);
  });

  it.each([
    ['not JSON', '{"fingerprint": "ab'],
    ['a truncated array', '[1, 2'],
    ['missing fields', '{"fingerprint": "x"}'],
    ['lines of the wrong type', JSON.stringify({ ...record(), lines: [1, 2] })],
    ['a numeric version', JSON.stringify({ ...record(), version: 3 })],
    ['JSON null', 'null'],
  ])('throws E_METADATA_VERSION on %s', (_name, text) => {
    expect(() => decodeRecordedSchema(text)).toThrow(expect.objectContaining({ code: 'E_METADATA_VERSION' }));
  });
});

describe('compareSchema', () => {
  it('finds no drift when the live schema equals the record', () => {
    const report = compareSchema(record(), [...LINES], [row('3')]);
    expect(report).toMatchObject({ drifted: false, diff: { added: [], removed: [] }, unrecordedRuns: [], live: { fingerprint: snapshotDigest(LINES), objects: 2 } });
    expect(driftProblem(report, 'SQLite app.db')).toBeUndefined();
  });

  it('reports added and removed lines: a changed object is both', () => {
    const live = ['table t CREATE TABLE t (id INTEGER, name TEXT, extra INTEGER)', 'table u CREATE TABLE u (id INTEGER)'];
    const report = compareSchema(record(), live, []);
    expect(report.drifted).toBe(true);
    expect(report.diff).toEqual({ added: live, removed: LINES });
    // Ordered by text, so the old and new form of table t sit together.
    expect(diffLines(report.diff ?? { added: [], removed: [] })).toEqual([
      '- idx t_name CREATE INDEX t_name ON t (name)',
      '- table t CREATE TABLE t (id INTEGER, name TEXT)',
      '+ table t CREATE TABLE t (id INTEGER, name TEXT, extra INTEGER)',
      '+ table u CREATE TABLE u (id INTEGER)',
    ]);
  });

  it('cannot tell drift without a record', () => {
    const report = compareSchema(undefined, LINES, [row('3')]);
    expect(report).toMatchObject({ recorded: undefined, diff: undefined, drifted: false, unrecordedRuns: [] });
    expect(driftProblem(report, 'x')).toBeUndefined();
  });

  it('names migrations written after the record by other runs', () => {
    const history = [row('3'), row('4', { runId: 'run-2', appliedAt: '2026-03-02T00:00:00.000Z' }), row('5', { runId: 'run-1', appliedAt: '2026-03-02T00:00:00.000Z' })];
    expect(compareSchema(record(), LINES, history).unrecordedRuns).toEqual(['4']);
  });
});

describe('driftProblem', () => {
  it('is E_SCHEMA_DRIFT naming where, when, how many lines and the first three', () => {
    const live = ['a 1', 'b 2', 'c 3', 'd 4'];
    const problem = driftProblem(compareSchema(record({ lines: [] }), live, []), 'PostgreSQL db');
    expect(problem?.code).toBe('E_SCHEMA_DRIFT');
    expect(problem?.message).toBe('the schema of PostgreSQL db changed outside migrator since 2026-03-01T12:00:00.000Z (run run-1): 4 lines differ (+4 -0): "+ a 1", "+ b 2", "+ c 3" and 1 more');
    expect(problem?.hint).toMatch(/^Run "migrate verify" for the whole diff\. .*"migrate verify --accept"/);
    expect(problem?.details).toMatchObject({ added: live, removed: [] });
  });

  it('quotes nothing when asked to (verify prints the whole diff itself)', () => {
    const problem = driftProblem(compareSchema(record(), ['a 1'], []), 'db', 0);
    expect(problem?.message).toBe('the schema of db changed outside migrator since 2026-03-01T12:00:00.000Z (run run-1): 3 lines differ (+1 -2)');
    expect(problem?.hint).toMatch(/^If the change is intended, capture it in a migration/);
  });

  it('shortens long lines in the message, not in the details', () => {
    const long = `table t ${'x'.repeat(300)}`;
    const problem = driftProblem(compareSchema(record({ lines: [] }), [long], []), 'db');
    expect(problem?.message.length).toBeLessThan(250);
    expect(problem?.details).toMatchObject({ added: [long] });
  });
});

describe('driftNotes', () => {
  const context = { history: [row('3')], pending: 0, toolVersion: '0.1.0' };

  it('explains a missing record and how to get one', () => {
    const notes = driftNotes(compareSchema(undefined, LINES, []), context);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/No schema snapshot is recorded.*migrate verify --accept/);
  });

  it('says nothing more for a clean database', () => {
    expect(driftNotes(compareSchema(record(), LINES, context.history), context)).toEqual([]);
  });

  it('qualifies the comparison: pending and failed migrations, runs the record missed, another release', () => {
    const history = [row('3'), row('4', { state: 'failed', runId: 'run-2', appliedAt: '2026-03-02T00:00:00.000Z' })];
    const notes = driftNotes(compareSchema(record({ toolVersion: '0.0.9' }), ['x'], history), { history, pending: 2, toolVersion: '0.1.0' });
    expect(notes).toEqual([
      expect.stringMatching(/^History shows 1 migration \(4\) written after the snapshot/),
      expect.stringMatching(/^Version 4 is failed: .*migrate repair/),
      expect.stringMatching(/^2 migrations pending: not part of the comparison/),
      expect.stringMatching(/recorded by migrator 0\.0\.9 \(this is 0\.1\.0\)/),
    ]);
  });
});
