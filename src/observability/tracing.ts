/**
 * OpenTelemetry tracing of a command, switched on by the standard variables: with
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` set, the command's events
 * become spans (trace-events.ts) exported over OTLP/HTTP (trace-export.ts). This module imports
 * nothing of OpenTelemetry itself: both are loaded on demand, so a run without an endpoint pays
 * one look at the environment.
 */
import type { Logger } from 'pino';
import { redactUrl, type SecretRegistry } from '../config/redact.js';
import type { EventSink } from '../core/events.js';
import type { TracedOutcome } from './trace-events.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The time the exporter gets to deliver the last spans, when OTEL_EXPORTER_OTLP_TIMEOUT is not set: a pipeline must not wait long for a collector that is down. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 5000;

/** Header values at least this long are taken for credentials (API keys, tokens) and redacted. */
const MIN_HEADER_SECRET_LENGTH = 8;

export interface TracingOptions {
  readonly env: Env;
  readonly logger: Logger;
  readonly secrets: SecretRegistry;
  /** Subscribes to the session's event bus. */
  subscribe(listener: EventSink): void;
  /** `Session.onFinish`: where the root span ends and the spans are flushed. */
  onFinish(finisher: (outcome: TracedOutcome) => Promise<void>): void;
  readonly runId: string;
  /** The command line, secrets already redacted. */
  readonly command: string;
  readonly environment: string;
  /** The engine's `db.system` name. */
  readonly dbSystem: string;
  readonly toolVersion: string;
}

/**
 * The URL spans go to, or `undefined` when tracing is off: no endpoint variable, or
 * `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`. The traces-specific endpoint is used
 * as it is; the general one gets `/v1/traces` appended, as the OTLP exporter specification says.
 */
export function tracesUrl(env: Env): string | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  if (env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none') return undefined;
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (!base) return undefined;
  return `${base}${base.endsWith('/') ? '' : '/'}v1/traces`;
}

/** `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), else the default. */
export function exportTimeoutMs(env: Env): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const value = Number(env[name]?.trim() || Number.NaN);
    if (Number.isFinite(value) && value > 0) return value;
  }
  return DEFAULT_EXPORT_TIMEOUT_MS;
}

/**
 * Called once per command by `createSession`. When tracing is on, loads the SDK, starts the root
 * span, subscribes the span builder, and registers the flush on `onFinish`. A failed export is a
 * warning in the log, never a change of the exit code. Throws nothing: a bad endpoint is a warning
 * and the command runs untraced.
 */
export async function startTracing(options: TracingOptions): Promise<void> {
  const url = tracesUrl(options.env);
  if (url === undefined) return;
  // The root span covers loading the SDK too: the command took that time.
  const startTime = performance.timeOrigin + performance.now();
  const { logger } = options;
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    logger.warn({ endpoint: redactUrl(url) }, 'the OTLP endpoint is not an http:// or https:// URL: tracing is off for this run');
    return;
  }
  // Secrets in the endpoint or the exporter's headers (API keys) must never be printed. Short
  // header values (`x-team=data`) are not keys, and scrubbing such common words would garble output.
  options.secrets.addUrl(url);
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    for (const pair of (options.env[name] ?? '').split(',')) {
      const value = decoded(pair.slice(pair.indexOf('=') + 1).trim());
      if (value.length >= MIN_HEADER_SECRET_LENGTH) options.secrets.add(value);
    }
  }
  if (/grpc/i.test(options.env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? options.env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? '')) {
    logger.warn('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: spans are sent as OTLP/HTTP JSON (point the endpoint at the collector\'s HTTP port, usually 4318)');
  }
  let modules;
  try {
    modules = await Promise.all([import('./trace-export.js'), import('./trace-events.js')]);
  } catch (error) {
    // An install without the OpenTelemetry packages (pruned dependencies) still migrates.
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not load the OpenTelemetry SDK: tracing is off for this run');
    return;
  }
  const [{ createTraceExport }, { traceEvents }] = modules;
  const exporter = createTraceExport({ url, env: options.env, serviceVersion: options.toolVersion, timeoutMs: exportTimeoutMs(options.env) });
  if (exporter.invalidParent) logger.warn('TRACEPARENT is not a valid W3C traceparent: the run starts a trace of its own');
  const tracer = traceEvents(exporter.tracer, {
    parent: exporter.parent,
    runAttributes: { 'migrator.run_id': options.runId, 'migrator.command': options.command },
    commonAttributes: { 'db.system': options.dbSystem, 'db.system.name': options.dbSystem, 'migrator.environment': options.environment },
    redact: (text) => options.secrets.scrub(text),
    startTime,
  });
  options.subscribe(tracer.listener);
  options.onFinish(async (outcome) => {
    tracer.end(outcome);
    const failure = await exporter.shutdown();
    if (failure !== undefined) logger.warn({ endpoint: redactUrl(url), err: failure }, `could not export the trace: ${failure}`);
  });
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
