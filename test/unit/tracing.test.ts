/**
 * Tracing: the span tree built from a sequence of core events (SDK's in-memory exporter), the
 * TRACEPARENT parent, the resource, and the decision that keeps the SDK unloaded without an endpoint.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import type { MigratorEvent } from '../../src/core/events.js';
import { createSecretRegistry } from '../../src/config/redact.js';
import { createLogger } from '../../src/observability/logger.js';
import { traceEvents, type TracedOutcome } from '../../src/observability/trace-events.js';
import { parentContext, resourceAttributes } from '../../src/observability/trace-export.js';
import { DEFAULT_EXPORT_TIMEOUT_MS, exportTimeoutMs, startTracing, tracesUrl } from '../../src/observability/tracing.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN_ID = 'b7ad6b7169203331';

/** Feeds `events` to a tracer on a fake clock (1 ms per reading) and returns the finished spans. */
function trace(events: ReadonlyArray<MigratorEvent>, outcome: TracedOutcome, parent: Context = ROOT_CONTEXT): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let clock = 1_700_000_000_000;
  const tracer = traceEvents(provider.getTracer('test'), {
    parent,
    runAttributes: { 'migrator.run_id': 'run-1', 'migrator.command': 'migrate up --url postgres://app:***@db/app' },
    commonAttributes: { 'db.system': 'postgresql', 'migrator.environment': 'production' },
    redact: (text) => text.replaceAll('hunter2', '***'),
    now: () => (clock += 1),
  });
  for (const event of events) tracer.listener(event);
  tracer.end(outcome);
  return exporter.getFinishedSpans();
}

const ms = (span: ReadableSpan): number => span.startTime[0] * 1000 + span.startTime[1] / 1e6;
const endMs = (span: ReadableSpan): number => span.endTime[0] * 1000 + span.endTime[1] / 1e6;
const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name);
const only = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}, expected one`);
  return found[0] as ReadableSpan;
};

const run: MigratorEvent[] = [
  { type: 'lock.waiting', waitedMs: 0, holder: { user: 'ci', host: 'runner-1', pid: 42 } },
  { type: 'lock.acquired', waitedMs: 3 },
  { type: 'run.started', runId: 'run-1', command: 'migrate up', direction: 'up', pending: 2, dryRun: false },
  { type: 'migration.started', id: '1', version: '1', direction: 'up', file: 'migrations/V1__users.sql', statements: 2 },
  { type: 'statement.executed', id: '1', index: 0, line: 1, durationMs: 0.5, rows: undefined },
  { type: 'statement.executed', id: '1', index: 1, line: 4, durationMs: 0.25, rows: 3 },
  { type: 'migration.applied', id: '1', version: '1', description: 'users', durationMs: 4, statements: 2 },
  { type: 'migration.started', id: '2', version: '2', direction: 'up', file: 'migrations/V2__orders.sql', statements: 1 },
  { type: 'migration.failed', id: '2', version: '2', direction: 'up', durationMs: 2, statementIndex: 1, code: 'E_MIGRATION_FAILED', message: 'relation "x" does not exist (password hunter2)' },
  { type: 'run.finished', runId: 'run-1', direction: 'up', count: 1, durationMs: 9, outcome: 'failure', fromVersion: null, toVersion: null },
  { type: 'lock.released' },
];
const failed: TracedOutcome = { exitCode: 1, error: new MigratorError('E_MIGRATION_FAILED', 'migration 2 failed') };

describe('the span tree of a run', () => {
  const spans = trace(run, failed);
  const root = only(spans, 'migrator.run');
  const migrations = named(spans, 'migrator.migration');
  const statements = named(spans, 'migrator.statement');

  it('is run > lock, run > migration > statement, in one trace', () => {
    expect(spans.map((span) => span.name).sort()).toEqual(['migrator.lock', 'migrator.migration', 'migrator.migration', 'migrator.run', 'migrator.statement', 'migrator.statement']);
    expect(root.parentSpanContext).toBeUndefined();
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    for (const span of [only(spans, 'migrator.lock'), ...migrations]) expect(span.parentSpanContext?.spanId, span.name).toBe(root.spanContext().spanId);
    for (const span of statements) expect(span.parentSpanContext?.spanId).toBe(migrations[0]?.spanContext().spanId);
  });

  it('nests each child inside its parent in time, statements lasting what the events say', () => {
    for (const span of spans.filter((s) => s !== root)) {
      expect(ms(span)).toBeGreaterThanOrEqual(ms(root));
      expect(endMs(span)).toBeLessThanOrEqual(endMs(root));
    }
    expect(statements.map((span) => Math.round((endMs(span) - ms(span)) * 100) / 100)).toEqual([0.5, 0.25]);
    expect(statements.every((span) => ms(span) >= ms(migrations[0] as ReadableSpan))).toBe(true);
  });

  it('carries the run, the command, the environment and the engine on the root span', () => {
    expect(root.attributes).toMatchObject({
      'migrator.run_id': 'run-1', 'migrator.command': 'migrate up --url postgres://app:***@db/app', 'migrator.environment': 'production', 'db.system': 'postgresql',
      'migrator.direction': 'up', 'migrator.pending': 2, 'migrator.dry_run': false, 'migrator.outcome': 'failure', 'migrator.completed': 1, 'migrator.exit_code': 1,
    });
    expect(root.attributes).not.toHaveProperty('migrator.from_version');
  });

  it('gives migrations their version, direction, file and rows, and statements their line and rows, never SQL', () => {
    expect(migrations[0]?.attributes).toMatchObject({ 'migrator.migration': '1', 'migrator.version': '1', 'migrator.direction': 'up', 'migrator.statements': 2, 'migrator.rows': 3, 'code.file.path': 'migrations/V1__users.sql', 'db.system': 'postgresql', 'migrator.environment': 'production' });
    expect(statements.map((span) => span.attributes)).toEqual([
      expect.objectContaining({ 'migrator.statement.index': 0, 'code.line.number': 1, 'code.file.path': 'migrations/V1__users.sql', 'db.system': 'postgresql' }),
      expect.objectContaining({ 'migrator.statement.index': 1, 'code.line.number': 4, 'migrator.rows': 3 }),
    ]);
    expect(statements[0]?.attributes).not.toHaveProperty('migrator.rows');
    expect(statements.every((span) => span.kind === SpanKind.CLIENT)).toBe(true);
  });

  it('marks the failed migration and the run as errors, with the code and a scrubbed message', () => {
    const failure = migrations[1] as ReadableSpan;
    expect(failure.status).toEqual({ code: SpanStatusCode.ERROR, message: 'E_MIGRATION_FAILED: relation "x" does not exist (password ***)' });
    expect(failure.attributes).toMatchObject({ 'error.type': 'E_MIGRATION_FAILED', 'migrator.statement.index': 0 });
    expect(failure.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([['exception', 'relation "x" does not exist (password ***)']]);
    expect(migrations[0]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: 'E_MIGRATION_FAILED: migration 2 failed' });
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]))).not.toContain('hunter2');
  });

  it('records the lock wait as a child span starting when the wait began, with the holder as an event', () => {
    const lock = only(spans, 'migrator.lock');
    expect(lock.attributes).toMatchObject({ 'migrator.lock.waited_ms': 3 });
    expect(lock.events.map((event) => [event.name, event.attributes?.['migrator.lock.holder']])).toEqual([['lock.waiting', 'user ci, host runner-1, pid 42']]);
    expect(endMs(lock)).toBeLessThanOrEqual(ms(migrations[0] as ReadableSpan));
  });
});

describe('a command that stops early', () => {
  it('ends the open lock span as an error when the lock wait timed out', () => {
    const spans = trace([{ type: 'lock.waiting', waitedMs: 10, holder: undefined }], { exitCode: 7, error: new MigratorError('E_LOCK_TIMEOUT', 'could not take the lock') });
    expect(only(spans, 'migrator.lock').status.code).toBe(SpanStatusCode.ERROR);
    expect(only(spans, 'migrator.run').attributes).toMatchObject({ 'error.type': 'E_LOCK_TIMEOUT', 'migrator.exit_code': 7 });
  });

  it('ends a migration left open (a crash) with the command\'s error; a non-migrator error is E_INTERNAL', () => {
    const spans = trace([{ type: 'migration.started', id: '1', version: null, direction: 'down', file: 'm/R__view.sql', statements: 1 }], { exitCode: 70, error: new TypeError('boom') });
    const migration = only(spans, 'migrator.migration');
    expect(migration.status).toEqual({ code: SpanStatusCode.ERROR, message: 'E_INTERNAL: boom' });
    expect(migration.attributes).not.toHaveProperty('migrator.version');
  });

  it('leaves the status unset on success, and emits just the root span for a command without events', () => {
    const spans = trace([], { exitCode: 0, error: undefined });
    expect(spans.map((span) => [span.name, span.status.code])).toEqual([['migrator.run', SpanStatusCode.UNSET]]);
  });

  it('drops statement events of a migration it did not see start', () => {
    const spans = trace([{ type: 'statement.executed', id: '9', index: 0, line: 1, durationMs: 1, rows: 1 }], { exitCode: 0, error: undefined });
    expect(spans.map((span) => span.name)).toEqual(['migrator.run']);
  });
});

describe('TRACEPARENT', () => {
  it('makes the run span a child of the pipeline\'s span, in its trace', () => {
    const parent = parentContext({ TRACEPARENT: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`, TRACESTATE: 'vendor=value' });
    const root = only(trace([], { exitCode: 0, error: undefined }, parent), 'migrator.run');
    expect(root.spanContext().traceId).toBe(TRACE_ID);
    expect(root.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_SPAN_ID, isRemote: true });
    expect(root.spanContext().traceState?.get('vendor')).toBe('value');
  });

  it.each([
    ['absent', {}],
    ['malformed', { TRACEPARENT: 'not-a-traceparent' }],
    ['all-zero trace id', { TRACEPARENT: `00-${'0'.repeat(32)}-${PARENT_SPAN_ID}-01` }],
  ])('starts a trace of its own when %s', (_case, env) => {
    const root = only(trace([], { exitCode: 0, error: undefined }, parentContext(env)), 'migrator.run');
    expect(root.parentSpanContext).toBeUndefined();
  });

  it('records nothing when the pipeline did not sample its trace (flags 00)', () => {
    expect(trace([], { exitCode: 0, error: undefined }, parentContext({ TRACEPARENT: `00-${TRACE_ID}-${PARENT_SPAN_ID}-00` }))).toEqual([]);
  });
});

describe('when tracing is on', () => {
  it.each([
    ['nothing set', {}, undefined],
    ['the general endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    ['the general endpoint with a path', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp/' }, 'https://otlp.example.com/otlp/v1/traces'],
    ['the traces endpoint, as it is', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' }, 'http://b:4318/custom'],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, undefined],
    ['OTEL_SDK_DISABLED=true', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'TRUE' }, undefined],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' }, undefined],
  ])('%s', (_case, env, expected) => {
    expect(tracesUrl(env)).toBe(expected);
  });

  it.each([
    ['without an endpoint', {}, []],
    ['with an endpoint that is not an http(s) URL', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, ['the OTLP endpoint is not an http:// or https:// URL: tracing is off for this run']],
  ])('subscribes nothing and registers no finisher %s', async (_case, env, warnings) => {
    const calls: string[] = [];
    const logged: string[] = [];
    await startTracing({
      env, logger: createLogger({ level: 'warn', write: (line) => logged.push(line), pretty: false }), secrets: createSecretRegistry(),
      subscribe: () => calls.push('subscribe'), onFinish: () => calls.push('onFinish'),
      runId: 'r', command: 'migrate up', environment: 'default', dbSystem: 'sqlite', toolVersion: '0.0.0',
    });
    expect(calls).toEqual([]);
    expect(logged.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(warnings);
  });

  it('registers the secrets of the endpoint and headers, and turns a failed export into one warning', async () => {
    const finishers: Array<(outcome: TracedOutcome) => Promise<void>> = [];
    const logged: string[] = [];
    const secrets = createSecretRegistry();
    await startTracing({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:pw-secret@127.0.0.1:1', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=key%2Fsecret,x-team=data', OTEL_EXPORTER_OTLP_TIMEOUT: '300' },
      logger: createLogger({ level: 'warn', write: (line) => logged.push(line), pretty: false }), secrets,
      subscribe: () => undefined, onFinish: (finisher) => void finishers.push(finisher),
      runId: 'r', command: 'migrate up', environment: 'default', dbSystem: 'sqlite', toolVersion: '0.0.0',
    });
    expect(secrets.scrub('pw-secret key/secret data')).toBe('*** *** data');
    expect(finishers).toHaveLength(1);
    await finishers[0]?.({ exitCode: 0, error: undefined });
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({ level: 40, endpoint: 'http://otel:***@127.0.0.1:1/v1/traces', msg: expect.stringMatching(/^could not export the trace: .*ECONNREFUSED/) });
  });

  it('bounds the final export by OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT, else a short default', () => {
    expect(exportTimeoutMs({})).toBe(DEFAULT_EXPORT_TIMEOUT_MS);
    expect(exportTimeoutMs({ OTEL_EXPORTER_OTLP_TIMEOUT: '2000' })).toBe(2000);
    expect(exportTimeoutMs({ OTEL_EXPORTER_OTLP_TIMEOUT: '2000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700' })).toBe(700);
    expect(exportTimeoutMs({ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' })).toBe(DEFAULT_EXPORT_TIMEOUT_MS);
  });
});

describe('the resource', () => {
  it('is service migrator at its version by default', () => {
    expect(resourceAttributes({}, '1.2.3')).toEqual({ 'service.name': 'migrator', 'service.version': '1.2.3' });
  });

  it('takes OTEL_RESOURCE_ATTRIBUTES (percent-decoded, bad entries skipped), then OTEL_SERVICE_NAME', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=data%20platform,broken,a=b=c,service.name=from-attributes' };
    expect(resourceAttributes(env, '1.0.0')).toEqual({ 'service.name': 'from-attributes', 'service.version': '1.0.0', 'deployment.environment.name': 'prod', team: 'data platform' });
    expect(resourceAttributes({ ...env, OTEL_SERVICE_NAME: 'db-migrations' }, '1.0.0')['service.name']).toBe('db-migrations');
  });
});
