/**
 * Prometheus metrics of one command, fed from the core's events into a prom-client registry of its
 * own (never the global one). prom-client is imported here only, and only when a metrics output is
 * configured: a run without one never loads it.
 *
 * A metric appears in the output once the command produced it (a family is registered on first
 * use), so a command that measured nothing leaves the textfile and the Pushgateway as they were,
 * and a failed run does not blank the last success of an earlier one. Every sample carries the
 * `environment` label; nothing with unbounded values (run id, version, file) is a label.
 */
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Metric, Registry } from 'prom-client';
import type { Direction, MigratorEvent } from '../core/events.js';

export type MetricOutcome = 'success' | 'failure' | 'interrupted';

export interface MetricsOptions {
  /** The configured environment (`default` when none was selected): the `environment` label. */
  readonly environment: string;
  /** Milliseconds since the epoch, for the last-success timestamp (injected by tests). */
  readonly now?: (() => number) | undefined;
}

export interface RunMetrics {
  /** Subscribe it to the session's event bus. Never throws. */
  readonly listener: (event: MigratorEvent) => void;
  /**
   * Called once the command has ended: sets `migrator_last_success_timestamp_seconds` when an
   * `up`/`down` run finished with success and the command exited 0.
   */
  finish(outcome: { readonly exitCode: number }): void;
  /** Whether the command produced any metric at all (`create`, `lint`, `config` produce none). */
  recorded(): boolean;
  /**
   * The Prometheus text format (version 0.0.4) of every metric produced so far. Without the
   * `environment` label when `environmentLabel` is false: a Pushgateway adds it from the grouping key
   * (that call briefly changes the registry's default labels: make it when nothing else scrapes).
   */
  exposition(options?: { readonly environmentLabel?: boolean }): Promise<string>;
  /** The Content-Type of `exposition()`. */
  readonly contentType: string;
}

/** Buckets of a migration's duration, in seconds: from a quick DDL to an hour-long backfill. */
export const DURATION_BUCKETS: ReadonlyArray<number> = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600]);

/** Loads prom-client and creates the registry and metrics of one command. */
export async function createMetrics(options: MetricsOptions): Promise<RunMetrics> {
  const prom = await import('prom-client');
  const registry: Registry = new prom.Registry();
  const defaultLabels = { environment: options.environment };
  registry.setDefaultLabels(defaultLabels);
  const registered = new Set<Metric>();
  const metrics = defineMetrics(prom, (metric) => {
    // A family is registered on first use: the unused ones stay out of every output.
    if (!registered.has(metric)) {
      registered.add(metric);
      registry.registerMetric(metric);
    }
  });
  const now = options.now ?? Date.now;
  const run: RunState = { directions: new Map(), batchRows: new Map(), direction: undefined, outcome: undefined };
  return {
    listener: (event) => record(metrics, run, event),
    finish({ exitCode }) {
      if (run.outcome === 'success' && exitCode === 0) metrics.lastSuccess().set(Math.floor(now() / 1000));
    },
    recorded: () => registered.size > 0,
    async exposition(exposeOptions = {}) {
      if (exposeOptions.environmentLabel !== false) return registry.metrics();
      registry.setDefaultLabels({});
      try {
        return await registry.metrics();
      } finally {
        registry.setDefaultLabels(defaultLabels);
      }
    },
    contentType: registry.contentType,
  };
}

/** What the events of the command's `up`/`down` run have said so far. */
interface RunState {
  /** Each migration's direction, for its statements. */
  readonly directions: Map<string, Direction>;
  /** Rows each ctx.batch job (`migration/name`) had processed at its last event. */
  readonly batchRows: Map<string, number>;
  /** The run's direction once `run.started` came, without a dry run. */
  direction: Direction | undefined;
  outcome: MetricOutcome | undefined;
}

/** Updates the metrics for one event. */
function record(m: Definitions, run: RunState, event: MigratorEvent): void {
  switch (event.type) {
    case 'run.started':
      if (!event.dryRun) return startRun(m, run, event.direction, event.pending);
      if (event.direction === 'up') m.pending().set(event.pending);
      return;
    case 'run.finished':
      run.outcome = event.outcome;
      m.runDuration().labels(event.direction, event.outcome).set(event.durationMs / 1000);
      return;
    case 'lock.waiting':
    case 'lock.acquired':
      m.lockWait().set(event.waitedMs / 1000);
      return;
    case 'migration.started':
      run.directions.set(event.id, event.direction);
      return;
    case 'statement.executed': {
      const direction = run.directions.get(event.id) ?? run.direction ?? 'up';
      m.statements().labels(direction).inc();
      if (event.rows !== undefined && event.rows > 0) m.rows().labels(direction).inc(event.rows);
      return;
    }
    case 'batch.started':
      run.batchRows.set(`${event.id}/${event.name}`, event.resumedFrom);
      m.batchRows().labels(run.directions.get(event.id) ?? run.direction ?? 'up').inc(0);
      return;
    case 'batch.progress': {
      const job = `${event.id}/${event.name}`;
      const before = run.batchRows.get(job) ?? event.rows;
      run.batchRows.set(job, event.rows);
      if (event.rows > before) m.batchRows().labels(run.directions.get(event.id) ?? run.direction ?? 'up').inc(event.rows - before);
      return;
    }
    case 'migration.applied':
      return migrationEnded(m, run, 'up', 'success', event.durationMs);
    case 'migration.reverted':
      return migrationEnded(m, run, 'down', 'success', event.durationMs);
    case 'migration.failed':
      return migrationEnded(m, run, event.direction, event.code === 'E_INTERRUPTED' ? 'interrupted' : 'failure', event.durationMs);
    case 'status.inspected':
      m.pending().set(event.pending);
      return;
    default:
      return;
  }
}

function startRun(m: Definitions, run: RunState, direction: Direction, pending: number): void {
  run.direction = direction;
  // Zeros for the outcomes a run can have, so a run that applied nothing replaces the last run's counts.
  for (const outcome of ['success', 'failure'] as const) {
    m.migrations().labels(direction, outcome).inc(0);
    m.migrationDuration().zero({ direction, outcome });
  }
  m.statements().labels(direction).inc(0);
  m.rows().labels(direction).inc(0);
  // After a `down` the pending count is not known without the files: it is left as it was.
  if (direction === 'up') m.pending().set(pending);
}

function migrationEnded(m: Definitions, run: RunState, direction: Direction, outcome: MetricOutcome, durationMs: number): void {
  m.migrations().labels(direction, outcome).inc();
  m.migrationDuration().labels(direction, outcome).observe(durationMs / 1000);
  if (outcome === 'success' && direction === 'up' && run.direction === 'up') m.pending().dec();
}

/** Each metric, registered with the command's registry when first asked for. */
interface Definitions {
  readonly migrations: () => Counter<'direction' | 'outcome'>;
  readonly migrationDuration: () => Histogram<'direction' | 'outcome'>;
  readonly runDuration: () => Gauge<'direction' | 'outcome'>;
  readonly lockWait: () => Gauge;
  readonly statements: () => Counter<'direction'>;
  readonly rows: () => Counter<'direction'>;
  readonly batchRows: () => Counter<'direction'>;
  readonly pending: () => Gauge;
  readonly lastSuccess: () => Gauge;
}

/** The metrics, created unregistered (`registers: []`); `use` registers each one the first time it is asked for. */
function defineMetrics(prom: typeof PromClient, use: (metric: Metric) => void): Definitions {
  const registers: Registry[] = [];
  const lazily = <M extends Metric>(metric: M) => (): M => {
    use(metric);
    return metric;
  };
  return {
    migrations: lazily(new prom.Counter({ name: 'migrator_migrations_total', help: 'Migrations run by this command, by direction and outcome (success, failure, interrupted).', labelNames: ['direction', 'outcome'], registers })),
    migrationDuration: lazily(new prom.Histogram({ name: 'migrator_migration_duration_seconds', help: 'How long each migration took, by direction and outcome.', labelNames: ['direction', 'outcome'], buckets: [...DURATION_BUCKETS], registers })),
    runDuration: lazily(new prom.Gauge({ name: 'migrator_run_duration_seconds', help: 'How long the up or down run took, lock wait included, by direction and outcome.', labelNames: ['direction', 'outcome'], registers })),
    lockWait: lazily(new prom.Gauge({ name: 'migrator_lock_wait_seconds', help: 'How long the command waited for the migration lock (so far, while it still waits).', registers })),
    statements: lazily(new prom.Counter({ name: 'migrator_statements_total', help: 'SQL statements of migrations executed by this command, by direction.', labelNames: ['direction'], registers })),
    rows: lazily(new prom.Counter({ name: 'migrator_rows_processed_total', help: 'Rows inserted, updated or deleted by the statements of migrations, as the engine counted them, by direction.', labelNames: ['direction'], registers })),
    batchRows: lazily(new prom.Counter({ name: 'migrator_batch_rows_processed_total', help: 'Rows processed by ctx.batch jobs in batches this command committed (rows of an earlier run that a resume continued from are not counted again), by direction.', labelNames: ['direction'], registers })),
    pending: lazily(new prom.Gauge({ name: 'migrator_pending_migrations', help: 'Migrations pending after the command (up, up --dry-run, status); with up --target, those up to the target.', registers })),
    lastSuccess: lazily(new prom.Gauge({ name: 'migrator_last_success_timestamp_seconds', help: 'When an up or down run last succeeded (Unix time, seconds).', registers })),
  };
}
