/**
 * The pure parts of ctx.batch: how a checkpoint stores its last key (type kept, bigint exact,
 * nothing before the first batch), and the plain-text progress lines a CI log gets.
 */
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey } from '../../src/core/run/batch.js';
import { progressLines } from '../../src/cli/render/run.js';
import type { MigratorEvent } from '../../src/core/events.js';

describe('checkpoint keys', () => {
  it('round-trips numbers, text and bigints with their type, and "no key yet"', () => {
    for (const key of [0, 42, -7, 2.5, '', 'user-0042', "o'brien", 2n ** 70n, undefined]) {
      expect(decodeKey(encodeKey(key))).toStrictEqual(key);
    }
    expect(encodeKey(undefined)).toBe('{}');
    expect(encodeKey('42')).not.toBe(encodeKey(42));
  });

  it('refuses a key that was edited into something else', () => {
    for (const text of ['42', 'null', '[]', '{"value":true}', '{"bigint":"12x"}', 'not json']) {
      expect(() => decodeKey(text), text).toThrow();
    }
  });
});

describe('batch progress lines (no terminal)', () => {
  const job = (rows: number, batch: number, done = false): MigratorEvent => ({ type: 'batch.progress', id: '7', name: 'fill', batch, rows, total: 30_000, rowsPerSecond: 1000, etaMs: (30_000 - rows), done });

  it('prints the start, at most one line per interval, and the end', () => {
    const lines: string[] = [];
    let clock = 0;
    const listener = progressLines({ line: (text: string) => void lines.push(text) } as never, { batches: true, now: () => clock });
    listener({ type: 'batch.started', id: '7', name: 'fill', table: 'users', total: 30_000, resumedFrom: 10_000 });
    clock = 4000;
    listener(job(15_000, 2));
    clock = 10_500;
    listener(job(20_000, 3));
    clock = 12_000;
    listener(job(25_000, 4));
    listener(job(30_000, 5, true));
    expect(lines).toEqual([
      '  batch    7              fill: 30,000 rows of users, resuming after 10,000 done',
      '  batch    7              fill: 20,000/30,000 rows (66%), 1,000 rows/s, ETA 10 s',
      '  batch    7              fill: done, 30,000 rows in 5 batches',
    ]);
  });

  it('prints none of them when the live terminal line shows the progress', () => {
    const lines: string[] = [];
    const listener = progressLines({ line: (text: string) => void lines.push(text) } as never, { batches: false });
    listener({ type: 'batch.started', id: '7', name: 'fill', table: 'users', total: 30_000, resumedFrom: 0 });
    listener(job(30_000, 3, true));
    expect(lines).toEqual([]);
  });
});

describe('formatLongDuration', () => {
  it('reads as seconds, minutes, hours', async () => {
    const { formatLongDuration } = await import('../../src/cli/render/run.js');
    expect([400, 42_400, 444_000, 7_500_000].map(formatLongDuration)).toEqual(['0 s', '42 s', '7 min 24 s', '2 h 05 min']);
  });
});
