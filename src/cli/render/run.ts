/** Renders a run as it happens (one line per migration) and its summary. */
import type { RunReport } from '../../core/run/executor.js';
import type { MigratorEvent } from '../../core/events.js';
import type { Capabilities } from '../../core/ports.js';
import type { Output } from '../io.js';
import { planJson } from './plan.js';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A long duration for people: `42 s`, `7 min 24 s`, `2 h 05 min`. */
export function formatLongDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`;
}

/** A running ctx.batch job prints a progress line at most this often. */
export const BATCH_LINE_INTERVAL_MS = 10_000;

/** `430,000/1,000,000 rows (43%), 52,000 rows/s, ETA 11 s`: a batch job's progress (pure). */
export function batchProgressText(progress: { readonly rows: number; readonly total: number; readonly rowsPerSecond: number; readonly etaMs: number | undefined }): string {
  const percent = progress.total > 0 ? ` (${Math.min(100, Math.floor((progress.rows * 100) / progress.total))}%)` : '';
  const eta = progress.etaMs === undefined ? '' : `, ETA ${formatLongDuration(progress.etaMs)}`;
  return `${progress.rows.toLocaleString('en-US')}/${progress.total.toLocaleString('en-US')} rows${percent}, ${progress.rowsPerSecond.toLocaleString('en-US')} rows/s${eta}`;
}

export interface ProgressLineOptions {
  /**
   * Print the progress of ctx.batch jobs (when one starts, every {@link BATCH_LINE_INTERVAL_MS}, when
   * it ends): off when the live terminal line shows it instead.
   */
  readonly batches: boolean;
  readonly now?: (() => number) | undefined;
}

/** A listener printing one line per finished migration (human mode only), and batch job progress. */
export function progressLines(output: Output, options: ProgressLineOptions = { batches: true }): (event: MigratorEvent) => void {
  const now = options.now ?? (() => performance.now());
  const printed = new Map<string, number>();
  return (event) => {
    if (options.batches && event.type === 'batch.started') {
      printed.set(`${event.id}/${event.name}`, now());
      const resumed = event.resumedFrom > 0 ? `, resuming after ${event.resumedFrom.toLocaleString('en-US')} done` : '';
      output.line(`  batch    ${event.id.padEnd(14)} ${event.name}: ${event.total.toLocaleString('en-US')} rows of ${event.table}${resumed}`);
    } else if (options.batches && event.type === 'batch.progress') {
      const job = `${event.id}/${event.name}`;
      if (!event.done && now() - (printed.get(job) ?? 0) < BATCH_LINE_INTERVAL_MS) return;
      printed.set(job, now());
      const what = event.done ? `done, ${event.rows.toLocaleString('en-US')} rows in ${event.batch.toLocaleString('en-US')} batches` : batchProgressText(event);
      output.line(`  batch    ${event.id.padEnd(14)} ${event.name}: ${what}`);
    } else if (event.type === 'migration.applied' || event.type === 'migration.reverted') {
      const verb = event.type === 'migration.applied' ? 'applied ' : 'reverted';
      output.line(`  ${verb} ${event.id.padEnd(14)} ${event.description}  (${formatMs(event.durationMs)})`);
    } else if (event.type === 'migration.failed') {
      const verb = event.code === 'E_INTERRUPTED' ? 'STOPPED ' : 'FAILED  ';
      output.line(`  ${verb} ${event.id.padEnd(14)} after ${formatMs(event.durationMs)}`);
    } else if (event.type === 'migration.retrying') {
      output.line(`  retrying ${event.id.padEnd(14)} in ${formatMs(event.delayMs)} (attempt ${event.attempt + 1}): ${event.reason}`);
    } else if (event.type === 'lock.waiting') {
      output.line(`  waiting for the migration lock (${formatMs(event.waitedMs)} so far)...`);
    }
  };
}

export function runJson(report: RunReport, target: string, runId: string, capabilities: Capabilities): unknown {
  return {
    ok: report.outcome === 'success',
    runId,
    target,
    outcome: report.outcome,
    batch: report.completed.length > 0 ? report.batch : null,
    fromVersion: report.plan.fromVersion,
    toVersion: report.outcome === 'success' ? report.plan.toVersion : null,
    durationMs: Math.round(report.durationMs),
    completed: report.completed.map((c) => ({ ...c, durationMs: Math.round(c.durationMs) })),
    plan: planJson(report.plan, capabilities),
    recoveryPoint: report.recoveryPoint ?? null,
    // The audit chain's head after this run: kept in CI logs, it anchors `migrate audit verify --anchor`.
    auditHead: report.auditHead ?? null,
  };
}

/** The closing line(s) of a run in human mode. */
export function runSummary(report: RunReport, output: Output): void {
  const { plan, completed } = report;
  if (plan.steps.length === 0) {
    output.line(plan.direction === 'up' ? `Already up to date${plan.fromVersion ? ` (version ${plan.fromVersion})` : ''}.` : 'Nothing to revert: no migration is applied.');
    return;
  }
  const noun = (n: number) => `${n} migration${n === 1 ? '' : 's'}`;
  const verb = plan.direction === 'up' ? 'Applied' : 'Reverted';
  // Where a restore would return to: worth a line when the run failed, or when a copy was made.
  const point = report.recoveryPoint;
  if (point !== undefined && point.kind !== 'none' && (report.outcome !== 'success' || point.kind === 'backup_file')) output.line(`Recovery point (before this run): ${point.detail}.`);
  if (report.outcome === 'success') {
    output.line(`${verb} ${noun(completed.length)} in ${formatMs(report.durationMs)}. Now at version ${plan.toVersion ?? '(none)'}.`);
  } else {
    output.line(`${verb} ${noun(completed.length)} of ${plan.steps.length} before the run stopped (${report.outcome}).`);
  }
}
