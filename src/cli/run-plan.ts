/**
 * The two ways `up` and `down` go: a dry run (read-only session, no lock, prints the plan and its
 * exact SQL, writes nothing) or a real run through the core executor.
 */
import { MigratorError } from '../core/errors.js';
import type { Direction } from '../core/events.js';
import type { HistoryRow } from '../core/model.js';
import type { Capabilities } from '../core/ports.js';
import type { Plan } from '../core/plan/index.js';
import { faultSpec } from '../config/faults.js';
import { readHistory, runPlan } from '../core/run/executor.js';
import { crashHook } from './faults.js';
import { errorJson } from './render/error.js';
import { planJson, planScript } from './render/plan.js';
import { progressRenderer } from './render/progress.js';
import { progressLines, runJson, runSummary } from './render/run.js';
import { runBackupHook } from './backup.js';
import { withDriver, type Session } from './session.js';
import { loadHooks } from './hooks.js';
import type { Callback } from '../core/source/callbacks.js';

export type PlanFor = (history: ReadonlyArray<HistoryRow>) => Plan;

export async function dryRun(session: Session, planFor: PlanFor): Promise<void> {
  const { plan, capabilities } = await withDriver(session, true, async (driver) => ({ plan: planFor((await readHistory(driver)).rows), capabilities: driver.capabilities }));
  session.emit({ type: 'run.started', runId: session.context.runId, command: session.context.command, direction: plan.direction, pending: plan.steps.length, dryRun: true });
  session.output.document({ ok: true, dryRun: true, target: session.target, plan: planJson(plan, capabilities) });
  if (!session.output.json) session.io.stdout(planScript(plan, session.target, capabilities));
}

/** What runs around the migrations: the SQL callback files read with them (docs/callbacks.md). */
export interface ExecuteOptions {
  readonly callbacks?: ReadonlyArray<Callback> | undefined;
}

export async function execute(session: Session, direction: Direction, planFor: PlanFor, options: ExecuteOptions = {}): Promise<void> {
  const { output } = session;
  // Loaded before anything runs: a hook module that does not load stops the command here.
  const hooks = await loadHooks(session);
  // A protected run backs up first, when there is something to run: planned from a read-only look
  // (the run plans again under the lock).
  const backup = session.config.protected && (await withDriver(session, true, async (driver) => planFor((await readHistory(driver)).rows).steps.length > 0))
    ? await runBackupHook(session, direction)
    : undefined;
  if (session.io.signal.aborted) {
    throw new MigratorError('E_INTERRUPTED', `interrupted before "migrate ${direction}" started: nothing was changed`, { hint: 'Run the command again when ready.' });
  }
  // The live line (statement i/N, elapsed, rows/s) only for a person at a terminal; subscribed
  // first, so it is erased before each migration's line is printed.
  const liveLine = !output.json && session.io.stderrIsTTY;
  if (liveLine) {
    const live = progressRenderer({ write: session.io.stderr, columns: session.io.stderrColumns, now: () => performance.now() });
    session.subscribe(live.listener);
    session.onFinish(async () => live.stop());
  }
  if (!output.json) session.subscribe(progressLines(output, { batches: !liveLine }));
  let capabilities: Capabilities = { transactionalDdl: false, statementTimeout: false };
  const report = await withDriver(session, false, (driver) => {
    capabilities = driver.capabilities;
    return runPlan({
      driver, context: session.context, emit: session.emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs,
      direction, plan: planFor, lockRetries: session.config.execution.lockRetries, fault: crashHook(faultSpec(session.io.env)),
      backupCopy: session.config.protected, auditDetail: backup ? { backup } : undefined, callbacks: options.callbacks, hooks,
    });
  });
  output.document({ ...(runJson(report, session.target, session.context.runId, capabilities) as object), error: report.error ? errorJson(report.error) : null });
  runSummary(report, output);
  if (report.error) throw report.error;
}
