/**
 * A live progress line for people at a terminal: the migration running, statement i/N, elapsed
 * time and, when statements report affected rows, rows and rows/s. It is redrawn in place on stderr
 * and erased when the migration ends, so nothing of it stays in scrollback, CI logs or `--json`
 * (the caller only attaches it when stderr is a TTY and output is not JSON).
 */
import type { MigratorEvent } from '../../core/events.js';
import { batchProgressText, formatMs } from './run.js';

export interface ProgressTerminal {
  /** Writes to the terminal as is (stderr). */
  readonly write: (text: string) => void;
  /** Terminal width in columns, when known: the line is cut to fit, so it never wraps. */
  readonly columns: number | undefined;
  /** Milliseconds, injectable for tests. */
  readonly now: () => number;
}

interface Current {
  readonly id: string;
  readonly verb: string;
  readonly total: number;
  readonly started: number;
  done: number;
  rows: number | undefined;
  /** The ctx.batch job running, once one reported progress. */
  batch?: BatchLine | undefined;
}

interface BatchLine {
  readonly name: string;
  readonly rows: number;
  readonly total: number;
  readonly rowsPerSecond: number;
  readonly etaMs: number | undefined;
}

const ERASE = '\r\x1b[2K';

/** Formats one progress line (pure). */
export function progressLine(current: { readonly id: string; readonly verb: string; readonly total: number; readonly done: number; readonly rows: number | undefined; readonly batch?: BatchLine | undefined }, elapsedMs: number): string {
  if (current.batch !== undefined) return [`${current.verb} ${current.id}`, `batch ${current.batch.name}: ${batchProgressText(current.batch)}`, formatMs(elapsedMs)].join(', ');
  const parts = [`${current.verb} ${current.id}`, `statement ${Math.min(current.done + 1, current.total)}/${current.total}`, formatMs(elapsedMs)];
  if (current.rows !== undefined && current.rows > 0) {
    const perSecond = elapsedMs > 0 ? Math.round((current.rows * 1000) / elapsedMs) : 0;
    parts.push(`${current.rows.toLocaleString('en-US')} rows (${perSecond.toLocaleString('en-US')}/s)`);
  }
  return parts.join(', ');
}

/**
 * Returns an event listener drawing the progress line, and `stop` to erase it and end the redraw
 * timer (call it when the command ends). Redraws on each statement and once a second, so a long
 * statement still shows time passing.
 */
export function progressRenderer(terminal: ProgressTerminal): { readonly listener: (event: MigratorEvent) => void; stop(): void } {
  let current: Current | undefined;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;
  const draw = (): void => {
    if (current === undefined) return;
    const line = progressLine(current, terminal.now() - current.started);
    const width = terminal.columns === undefined || terminal.columns <= 0 ? line.length : Math.max(10, terminal.columns - 1);
    terminal.write(`${ERASE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    drawn = true;
  };
  const erase = (): void => {
    if (drawn) terminal.write(ERASE);
    drawn = false;
  };
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    current = undefined;
    erase();
  };
  const listener = (event: MigratorEvent): void => {
    switch (event.type) {
      case 'migration.started':
        current = { id: event.id, verb: event.direction === 'down' ? 'reverting' : 'applying', total: event.statements, started: terminal.now(), done: 0, rows: undefined };
        timer ??= setInterval(draw, 1000).unref();
        draw();
        return;
      case 'statement.executed': {
        if (current === undefined || current.id !== event.id) return;
        current.done = event.index + 1;
        const rows = (event as { readonly rows?: number | undefined }).rows;
        if (rows !== undefined) current.rows = (current.rows ?? 0) + rows;
        draw();
        return;
      }
      case 'batch.started':
      case 'batch.progress': {
        if (current === undefined || current.id !== event.id) return;
        current.batch = event.type === 'batch.started'
          ? { name: event.name, rows: event.resumedFrom, total: event.total, rowsPerSecond: 0, etaMs: undefined }
          : { name: event.name, rows: event.rows, total: event.total, rowsPerSecond: event.rowsPerSecond, etaMs: event.etaMs };
        draw();
        return;
      }
      case 'migration.applied':
      case 'migration.reverted':
      case 'migration.failed':
        current = undefined;
        erase();
        return;
      case 'run.finished':
        stop();
        return;
      default:
    }
  };
  return { listener, stop };
}
