/**
 * The live progress line on a terminal: what it says, that it is redrawn in place, erased when a
 * migration ends (before its summary line is printed) and never left behind.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressLine, progressRenderer } from '../../src/cli/render/progress.js';

afterEach(() => {
  vi.useRealTimers();
});

function terminal(columns?: number) {
  let clock = 0;
  const writes: string[] = [];
  return {
    writes,
    advance: (ms: number) => (clock += ms),
    terminal: { write: (text: string) => void writes.push(text), columns, now: () => clock },
  };
}

describe('progressLine', () => {
  it('names the migration, the statement, the time, and rows with their rate when there are any', () => {
    expect(progressLine({ id: '3', verb: 'applying', total: 5, done: 1, rows: undefined }, 1500)).toBe('applying 3, statement 2/5, 1.50 s');
    expect(progressLine({ id: '3', verb: 'applying', total: 5, done: 5, rows: undefined }, 20)).toBe('applying 3, statement 5/5, 20 ms');
    expect(progressLine({ id: '7', verb: 'reverting', total: 2, done: 1, rows: 25_000 }, 2000)).toBe('reverting 7, statement 2/2, 2.00 s, 25,000 rows (12,500/s)');
  });
});

describe('progressLine of a ctx.batch job', () => {
  it('shows the job, rows done of the total, the rate and the time left instead of the statement', () => {
    const batch = { name: 'fill_emails', rows: 430_000, total: 1_000_000, rowsPerSecond: 52_000, etaMs: 10_960 };
    expect(progressLine({ id: '7', verb: 'applying', total: 0, done: 80, rows: 430_000, batch }, 8300))
      .toBe('applying 7, batch fill_emails: 430,000/1,000,000 rows (43%), 52,000 rows/s, ETA 11 s, 8.30 s');
    expect(progressLine({ id: '7', verb: 'applying', total: 0, done: 0, rows: undefined, batch: { ...batch, rows: 0, rowsPerSecond: 0, etaMs: undefined } }, 10))
      .toBe('applying 7, batch fill_emails: 0/1,000,000 rows (0%), 0 rows/s, 10 ms');
  });
});

describe('progressRenderer', () => {
  it('redraws one line in place per statement and erases it when the migration ends', () => {
    const t = terminal();
    const { listener, stop } = progressRenderer(t.terminal);
    listener({ type: 'migration.started', id: '1', version: '1', direction: 'up', file: 'migrations/V1__a.sql', statements: 2 });
    t.advance(100);
    listener({ type: 'statement.executed', id: '1', index: 0, line: 1, durationMs: 100 });
    listener({ type: 'migration.applied', id: '1', version: '1', description: 'a', durationMs: 120, statements: 2 });
    stop();
    expect(t.writes).toEqual([
      '\r\x1b[2Kapplying 1, statement 1/2, 0 ms',
      '\r\x1b[2Kapplying 1, statement 2/2, 100 ms',
      '\r\x1b[2K',
    ]);
  });

  it('adds up the rows statements report', () => {
    const t = terminal();
    const { listener, stop } = progressRenderer(t.terminal);
    listener({ type: 'migration.started', id: '2', version: '2', direction: 'up', file: 'f', statements: 3 });
    t.advance(1000);
    listener({ type: 'statement.executed', id: '2', index: 0, line: 1, durationMs: 1, rows: 400 } as never);
    listener({ type: 'statement.executed', id: '2', index: 1, line: 2, durationMs: 1, rows: 600 } as never);
    expect(t.writes.at(-1)).toBe('\r\x1b[2Kapplying 2, statement 3/3, 1.00 s, 1,000 rows (1,000/s)');
    stop();
  });

  it('cuts the line to the terminal width, so it never wraps', () => {
    const t = terminal(20);
    const { listener, stop } = progressRenderer(t.terminal);
    listener({ type: 'migration.started', id: '2026_11_21_0930', version: '2026.11.21.930', direction: 'up', file: 'f', statements: 12 });
    expect(t.writes[0]).toBe('\r\x1b[2Kapplying 2026_11_2…');
    stop();
  });

  it('redraws every second while one statement runs long', () => {
    vi.useFakeTimers();
    const t = terminal();
    const { listener, stop } = progressRenderer(t.terminal);
    listener({ type: 'migration.started', id: '1', version: '1', direction: 'up', file: 'f', statements: 1 });
    t.advance(2000);
    vi.advanceTimersByTime(2000);
    expect(t.writes.at(-1)).toBe('\r\x1b[2Kapplying 1, statement 1/1, 2.00 s');
    stop();
    expect(t.writes.at(-1)).toBe('\r\x1b[2K');
    const count = t.writes.length;
    vi.advanceTimersByTime(5000);
    expect(t.writes).toHaveLength(count);
  });

  it('writes nothing more after a failure or the end of the run, and stop is safe to repeat', () => {
    const t = terminal();
    const { listener, stop } = progressRenderer(t.terminal);
    listener({ type: 'migration.started', id: '1', version: '1', direction: 'up', file: 'f', statements: 1 });
    listener({ type: 'migration.failed', id: '1', version: '1', direction: 'up', durationMs: 3, statementIndex: 0, code: 'E_MIGRATION_FAILED', message: 'boom' });
    listener({ type: 'statement.executed', id: '1', index: 0, line: 1, durationMs: 1 });
    stop();
    stop();
    expect(t.writes).toEqual(['\r\x1b[2Kapplying 1, statement 1/1, 0 ms', '\r\x1b[2K']);
  });
});
