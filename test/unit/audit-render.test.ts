import { describe, expect, it } from 'vitest';
import { CHAIN_START, walkChain } from '../../src/core/audit-verify.js';
import type { StoredAuditEntry } from '../../src/core/ports.js';
import { auditHash } from '../../src/core/run/audit.js';
import { auditRowJson, parseSince, renderAudit, renderVerdict } from '../../src/cli/render/audit.js';
import type { Output } from '../../src/cli/io.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('parseSince', () => {
  const cases: ReadonlyArray<[string, string | undefined]> = [
    ['90s', '2026-03-10T11:58:30.000Z'],
    ['30m', '2026-03-10T11:30:00.000Z'],
    ['12h', '2026-03-10T00:00:00.000Z'],
    ['7d', '2026-03-03T12:00:00.000Z'],
    ['2w', '2026-02-24T12:00:00.000Z'],
    [' 1d ', '2026-03-09T12:00:00.000Z'],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T14:05:00Z', '2026-01-31T14:05:00.000Z'],
    ['2026-01-31T14:05:00+02:00', '2026-01-31T12:05:00.000Z'],
    ['yesterday', undefined],
    ['7', undefined],
    ['7y', undefined],
    ['2026-13-45', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`"${text}" -> ${String(expected)}`, () => {
      expect(parseSince(text, NOW)).toBe(expected);
    });
  }
});

function row(id: number, prevHash: string, overrides: Partial<StoredAuditEntry> = {}): StoredAuditEntry {
  const entry = {
    runId: 'run-1', at: '2026-03-10T11:00:00.123Z', actor: 'alice', host: 'ci', environment: 'prod', command: 'migrate up',
    event: 'run.started', version: null, fromVersion: null, toVersion: '2', checksum: null, outcome: 'info' as const, durationMs: null,
    detail: '{"direction":"up","reason":"CHG-1 release"}', ...overrides,
  };
  return { ...entry, id, prevHash, hash: auditHash(prevHash, entry) };
}

function capture(): { output: Output; lines: string[] } {
  const lines: string[] = [];
  return { lines, output: { json: false, line: (text = '') => void lines.push(text), document: () => undefined } };
}

describe('renderAudit', () => {
  it('prints one aligned line per row: id, time, actor, event, version, from -> to, outcome, duration, reason', () => {
    const first = row(1, '');
    const second = row(2, first.hash, { event: 'migration.applied', version: '1', toVersion: null, outcome: 'success', durationMs: 1234, detail: '{"file":"V1.sql"}' });
    const { output, lines } = capture();
    renderAudit([first, second], 'SQLite sqlite:./app.db', output);
    expect(lines).toEqual([
      'Audit log of SQLite sqlite:./app.db',
      '',
      'ID  AT                    ACTOR  EVENT              VERSION  FROM -> TO   OUTCOME  DURATION  REASON',
      '1   2026-03-10 11:00:00Z  alice  run.started                 (none) -> 2  info               CHG-1 release',
      '2   2026-03-10 11:00:00Z  alice  migration.applied  1                     success  1.23 s',
    ]);
  });

  it('lists the recovery points of the runs below the table, when any was recorded', () => {
    const lsn = row(1, '', { detail: JSON.stringify({ direction: 'up', recoveryPoint: { kind: 'wal_lsn', value: '1/5904CDE8', detail: 'PostgreSQL WAL LSN 1/5904CDE8: ...' } }) });
    const none = row(2, lsn.hash, { fromVersion: '2', toVersion: '3', detail: JSON.stringify({ recoveryPoint: { kind: 'none', value: null, detail: 'no log position' } }) });
    const edited = row(3, none.hash, { detail: 'edited by hand' });
    const { output, lines } = capture();
    renderAudit([lsn, none, edited], 'db', output);
    expect(lines.slice(-3)).toEqual([
      'Recovery points (the database just before each run; docs/backup.md):',
      '  ID  AT                    FROM -> TO   KIND     VALUE',
      '  1   2026-03-10 11:00:00Z  (none) -> 2  wal_lsn  1/5904CDE8',
    ]);
    const plain = capture();
    renderAudit([none], 'db', plain.output);
    expect(plain.lines.join('\n')).not.toContain('Recovery points');
  });

  it('gives JSON with the detail parsed, or as text when it is not JSON', () => {
    expect(auditRowJson(row(1, ''))).toMatchObject({ id: 1, detail: { direction: 'up', reason: 'CHG-1 release' } });
    expect(auditRowJson(row(1, '', { detail: 'edited by hand' }))).toMatchObject({ detail: 'edited by hand' });
  });
});

describe('renderVerdict', () => {
  const first = row(1, '');
  const second = row(2, first.hash, { event: 'run.finished' });

  it('says intact, with the count and the head', () => {
    const { output, lines } = capture();
    renderVerdict(walkChain(CHAIN_START, [first, second]), 'db', [], output);
    expect(lines).toEqual(['The audit log of db is intact: 2 rows chain correctly.', `Head (row 2): ${second.hash}`]);
  });

  it('names the bad row with what it holds and what it should', () => {
    const { output, lines } = capture();
    renderVerdict(walkChain(CHAIN_START, [first, { ...second, actor: 'mallory' }]), 'db', [], output);
    expect(lines[0]).toBe('TAMPERED: audit row 2 was edited: its hash does not match its content.');
    expect(lines[1]).toBe('  1 row before it chains correctly (through row 1).');
    expect(lines[2]).toBe(`  row 2:    prev_hash ${first.hash}, hash ${second.hash}`);
    expect(lines[3]).toMatch(new RegExp(`^  expected: prev_hash ${first.hash}, hash [0-9a-f]{64}$`));
  });

  it('says when an anchor is missing, and when there is nothing to verify', () => {
    const missing = capture();
    renderVerdict(walkChain(CHAIN_START, [first], ['abc']), 'db', ['abc'], missing.output);
    expect(missing.lines).toEqual(['TAMPERED: the chain of 1 row is intact, but does not contain abc.']);
    const empty = capture();
    renderVerdict(CHAIN_START, 'db', [], empty.output);
    expect(empty.lines).toEqual(['The audit log of db is empty: nothing to verify.']);
  });
});
