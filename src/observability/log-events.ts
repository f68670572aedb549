/**
 * Turns core events into log records. Field names are snake_case and stable: dashboards and
 * alerts key on them.
 */
import type { Logger } from 'pino';
import type { MigratorEvent } from '../core/events.js';

/** A running batch job logs its progress at info level at most this often (every batch at debug). */
const BATCH_LOG_INTERVAL_MS = 10_000;

/** Returns an event listener that logs each event at its level. */
export function logEvents(logger: Logger, now: () => number = () => performance.now()): (event: MigratorEvent) => void {
  const batchLogged = new Map<string, number>();
  return (event) => {
    switch (event.type) {
      case 'run.started':
        return logger.info({ direction: event.direction, pending: event.pending, dry_run: event.dryRun }, 'run started');
      case 'run.finished':
        return logger[event.outcome === 'success' ? 'info' : 'error']({ direction: event.direction, count: event.count, duration_ms: Math.round(event.durationMs), outcome: event.outcome, from_version: event.fromVersion, to_version: event.toVersion }, 'run finished');
      case 'lock.waiting':
        return logger.warn({ waited_ms: event.waitedMs, holder: event.holder ?? null }, 'waiting for the migration lock');
      case 'lock.acquired':
        return logger.debug({ waited_ms: event.waitedMs }, 'lock acquired');
      case 'lock.released':
        return logger.debug('lock released');
      case 'lock.broken':
        return logger.warn({ holder: event.holder, reason: event.reason }, 'stale migration lock broken');
      case 'metadata.prepared':
        return logger.info({ created: event.created }, 'metadata tables ready');
      case 'drift.found':
        return logger.warn({ lines: event.lines, first: event.first }, `the schema changed outside migrator since the last recorded snapshot (${event.lines} line${event.lines === 1 ? '' : 's'}): this run records the schema anew, and its run.started audit row keeps what had changed ("migrate verify" before "up" shows it in full)`);
      case 'recovery.point':
        return logger.info({ kind: event.kind, value: event.value }, `recovery point: ${event.detail}`);
      case 'migration.started':
        return logger.debug({ migration: event.id, version: event.version, direction: event.direction, file: event.file, statements: event.statements }, 'migration started');
      case 'statement.executed':
        return logger.trace({ migration: event.id, index: event.index, line: event.line, duration_ms: event.durationMs }, 'statement executed');
      case 'migration.applied':
      case 'migration.reverted':
        return logger.info({ migration: event.id, version: event.version, description: event.description, direction: event.type === 'migration.applied' ? 'up' : 'down', duration_ms: Math.round(event.durationMs), statements: event.statements }, event.type === 'migration.applied' ? 'migration applied' : 'migration reverted');
      case 'migration.failed':
        return logger.error({ migration: event.id, version: event.version, direction: event.direction, duration_ms: Math.round(event.durationMs), statement: event.statementIndex, code: event.code, err: event.message }, 'migration failed');
      case 'statement.recovered':
        return logger.warn({ migration: event.id, statement: event.index + 1, took_effect: event.tookEffect }, event.tookEffect ? 'the statement in flight at the crash had completed: continuing after it' : 'the statement in flight at the crash had not taken effect: running it again');
      case 'migration.retrying':
        return logger.warn({ migration: event.id, attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason }, 'retrying migration after a lock timeout');
      case 'signal.received':
        return logger.warn({ signal: event.signal }, 'signal received: stopping at the next statement boundary');
      case 'snapshot.recorded':
        return logger.debug({ fingerprint: event.fingerprint, objects: event.objects }, 'schema snapshot recorded');
      case 'snapshot.failed':
        return logger.warn({ err: event.message }, 'could not record the schema snapshot: "migrate verify" will report this run\'s changes as drift until the next run records one (or "migrate verify --accept")');
      case 'callback.executed':
        return logger.info({ callback: event.name, kind: event.kind, file: event.file, migration: event.migration, duration_ms: Math.round(event.durationMs) }, `${event.kind === 'sql' ? 'callback' : 'hook'} ${event.name} ran`);
      case 'callback.failed':
        return logger[event.fatal ? 'error' : 'warn']({ callback: event.name, kind: event.kind, file: event.file, migration: event.migration, code: event.code, err: event.message }, `${event.kind === 'sql' ? 'callback' : 'hook'} ${event.name} failed${event.fatal ? '' : ': a warning only, the run\'s outcome stands'}`);
      case 'script.logged':
        return logger[event.level]({ ...event.data, migration: event.id, source: 'script' }, event.message);
      case 'batch.started':
        batchLogged.set(`${event.id}/${event.name}`, now());
        return logger.info({ migration: event.id, batch_job: event.name, table: event.table, total_rows: event.total, resumed_from: event.resumedFrom }, event.resumedFrom > 0 ? 'batch job resumed from its checkpoint' : 'batch job started');
      case 'batch.progress': {
        const job = `${event.id}/${event.name}`;
        const fields = { migration: event.id, batch_job: event.name, batch: event.batch, rows_processed: event.rows, total_rows: event.total, rows_per_second: event.rowsPerSecond, eta_ms: event.etaMs === undefined ? null : Math.round(event.etaMs) };
        if (event.done) {
          batchLogged.delete(job);
          return logger.info(fields, 'batch job finished');
        }
        const last = batchLogged.get(job) ?? 0;
        if (now() - last < BATCH_LOG_INTERVAL_MS) return logger.debug(fields, 'batch committed');
        batchLogged.set(job, now());
        return logger.info(fields, 'batch job progress');
      }
      case 'problem.found':
        return logger.warn({ code: event.problem.code, file: event.problem.at?.file }, event.problem.message);
    }
  };
}
