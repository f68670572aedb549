/**
 * Spans from the event stream. One root span per command (`migrator.run`), a child per migration
 * (`migrator.migration`), a grandchild per statement (`migrator.statement`), and a child for each
 * wait for the migration lock (`migrator.lock`). Only `@opentelemetry/api` here: the SDK that
 * records and exports the spans is loaded by trace-export.ts, and only when tracing is on.
 *
 * Events arrive after the fact (a statement reports its duration once done), so spans are given
 * explicit start and end times from one clock: a child always lies within its parent.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { LockHolderInfo, MigratorEvent } from '../core/events.js';

export interface EventTracingOptions {
  /** The remote parent (a CI pipeline's `TRACEPARENT`); `ROOT_CONTEXT` starts a new trace. */
  readonly parent: Context;
  /** Attributes of the root span only (`migrator.run_id`, `migrator.command`). */
  readonly runAttributes: Attributes;
  /** Attributes of every span (`db.system`, `migrator.environment`). */
  readonly commonAttributes: Attributes;
  /** Scrubs known secrets from the text put in spans (error messages, retry reasons). */
  readonly redact: (text: string) => string;
  /** Epoch milliseconds, fractional; injectable for tests. */
  readonly now?: () => number;
  /** When the command started (epoch milliseconds), if before this call; default `now()`. */
  readonly startTime?: number;
}

/** How the command ended, as `Lifecycle.onFinish` reports it. */
export interface TracedOutcome {
  readonly exitCode: number;
  readonly error: unknown;
}

export interface EventTracer {
  /** The bus listener. Never throws on an unexpected sequence: an event without its span is dropped. */
  readonly listener: (event: MigratorEvent) => void;
  /** Ends whatever is still open, then the root span (status ERROR unless `exitCode` is 0). Call once. */
  end(outcome: TracedOutcome): void;
}

interface OpenMigration {
  readonly id: string;
  readonly span: Span;
  readonly context: Context;
  readonly file: string;
  rows: number | undefined;
}

const defaultNow = (): number => performance.timeOrigin + performance.now();

/** Starts the root span (at `startTime`, else now) and returns the listener that hangs the rest of the tree under it. */
export function traceEvents(tracer: Tracer, options: EventTracingOptions): EventTracer {
  const now = options.now ?? defaultNow;
  const common = options.commonAttributes;
  const root = tracer.startSpan('migrator.run', { startTime: options.startTime ?? now(), attributes: { ...common, ...options.runAttributes } }, options.parent);
  const rootContext = trace.setSpan(options.parent, root);
  let lock: Span | undefined;
  let migration: OpenMigration | undefined;

  const startLock = (waitedMs: number): Span =>
    (lock ??= tracer.startSpan('migrator.lock', { startTime: now() - waitedMs, attributes: { ...common } }, rootContext));

  const fail = (span: Span, code: string, message: string, at: number): void => {
    span.setAttribute('error.type', code);
    span.recordException({ name: code, message: options.redact(message) }, at);
    span.setStatus({ code: SpanStatusCode.ERROR, message: options.redact(`${code}: ${message}`) });
  };

  const listener = (event: MigratorEvent): void => {
    switch (event.type) {
      case 'run.started':
        root.setAttributes({ 'migrator.direction': event.direction, 'migrator.pending': event.pending, 'migrator.dry_run': event.dryRun });
        return;
      case 'run.finished':
        root.setAttributes({ 'migrator.outcome': event.outcome, 'migrator.completed': event.count, ...optional('migrator.from_version', event.fromVersion), ...optional('migrator.to_version', event.toVersion) });
        return;
      case 'lock.waiting':
        startLock(event.waitedMs).addEvent('lock.waiting', { 'migrator.lock.waited_ms': event.waitedMs, 'migrator.lock.holder': describeHolder(event.holder) }, now());
        return;
      case 'lock.acquired': {
        const span = startLock(event.waitedMs);
        span.setAttribute('migrator.lock.waited_ms', event.waitedMs);
        span.end(now());
        lock = undefined;
        return;
      }
      case 'lock.broken':
        root.addEvent('lock.broken', { 'migrator.lock.holder': describeHolder(event.holder), 'migrator.lock.reason': event.reason }, now());
        return;
      case 'migration.started': {
        const attributes = { ...common, 'migrator.migration': event.id, ...optional('migrator.version', event.version), 'migrator.direction': event.direction, 'migrator.statements': event.statements, 'code.file.path': event.file };
        const span = tracer.startSpan('migrator.migration', { startTime: now(), attributes }, rootContext);
        migration = { id: event.id, span, context: trace.setSpan(rootContext, span), file: event.file, rows: undefined };
        return;
      }
      case 'statement.executed': {
        if (migration?.id !== event.id) return;
        const end = now();
        const rows = typeof event.rows === 'number' ? event.rows : undefined;
        if (rows !== undefined) migration.rows = (migration.rows ?? 0) + rows;
        const attributes = { ...common, 'migrator.migration': event.id, 'migrator.statement.index': event.index, 'code.file.path': migration.file, 'code.line.number': event.line, ...optional('migrator.rows', rows) };
        tracer.startSpan('migrator.statement', { kind: SpanKind.CLIENT, startTime: end - event.durationMs, attributes }, migration.context).end(end);
        return;
      }
      case 'migration.applied':
      case 'migration.reverted':
      case 'migration.failed': {
        if (migration?.id !== event.id) return;
        const { span, rows } = migration;
        if (rows !== undefined) span.setAttribute('migrator.rows', rows);
        if (event.type === 'migration.failed') {
          // The event counts statements from 1 (0: not at a statement); spans count from 0.
          if (event.statementIndex > 0) span.setAttribute('migrator.statement.index', event.statementIndex - 1);
          fail(span, event.code, event.message, now());
        }
        span.end(now());
        migration = undefined;
        return;
      }
      case 'migration.retrying':
        migration?.span.addEvent('migration.retrying', { 'migrator.attempt': event.attempt, 'migrator.delay_ms': event.delayMs, 'migrator.reason': options.redact(event.reason) }, now());
        return;
      case 'statement.recovered':
        migration?.span.addEvent('statement.recovered', { 'migrator.statement.index': event.index, 'migrator.took_effect': event.tookEffect }, now());
        return;
      case 'signal.received':
        root.addEvent('signal.received', { 'migrator.signal': event.signal }, now());
        return;
      case 'recovery.point':
        root.addEvent('recovery.point', { 'migrator.recovery.kind': event.kind, ...optional('migrator.recovery.value', event.value) }, now());
        return;
      case 'snapshot.failed':
        root.addEvent('snapshot.failed', { 'migrator.reason': options.redact(event.message) }, now());
        return;
      default:
        return;
    }
  };

  return {
    listener,
    end({ exitCode, error }) {
      const at = now();
      const failure = exitCode === 0 ? undefined : describeError(error, exitCode);
      // Still open here: the lock wait timed out, or the command stopped inside a migration.
      for (const span of [lock, migration?.span]) {
        if (span === undefined) continue;
        if (failure) fail(span, failure.code, failure.message, at);
        span.end(at);
      }
      lock = undefined;
      migration = undefined;
      root.setAttribute('migrator.exit_code', exitCode);
      if (failure) fail(root, failure.code, failure.message, at);
      root.end(at);
    },
  };
}

/** `{ [key]: value }`, or nothing when the value is null or undefined (attributes have no null). */
function optional(key: string, value: string | number | null | undefined): Attributes {
  return value === null || value === undefined ? {} : { [key]: value };
}

function describeHolder(holder: LockHolderInfo | undefined): string {
  if (holder === undefined) return 'unknown';
  const parts = [holder.user && `user ${holder.user}`, holder.host && `host ${holder.host}`, holder.pid !== undefined && `pid ${holder.pid}`, holder.owner && `run ${holder.owner}`];
  return parts.filter(Boolean).join(', ') || 'unknown';
}

/** The error's stable code (`E_LOCK_TIMEOUT`) and message; anything else is what main.ts calls E_INTERNAL. */
function describeError(error: unknown, exitCode: number): { code: string; message: string } {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' && /^E_[A-Z_]+$/.test(error.code) ? error.code : 'E_INTERNAL';
  const message = error instanceof Error ? error.message : `the command ended with exit code ${exitCode}`;
  return { code, message };
}
