/** Renders a run as it happens (one line per migration) and its summary. */
import type { RunReport } from '../../core/run/executor.js';
import type { MigratorEvent } from '../../core/events.js';
import type { Capabilities } from '../../core/ports.js';
import type { Output } from '../io.js';
import { planJson } from './plan.js';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A listener printing one line per finished migration (human mode only). */
export function progressLines(output: Output): (event: MigratorEvent) => void {
  return (event) => {
    if (event.type === 'migration.applied' || event.type === 'migration.reverted') {
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
