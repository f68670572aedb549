/**
 * The OpenTelemetry SDK side of tracing: a tracer provider whose spans are batched and sent as
 * OTLP/HTTP (JSON) to the collector, the run's remote parent from `TRACEPARENT`, and a bounded
 * shutdown. tracing.ts imports this module dynamically, and only when an OTLP endpoint is set:
 * a run without one loads none of the SDK.
 *
 * What migrator decides (on/off, URL, parent, service name and resource, timeout) comes from the
 * environment it is given. The rest of the exporter's settings (OTEL_EXPORTER_OTLP_HEADERS,
 * _COMPRESSION, _CERTIFICATE, OTEL_TRACES_SAMPLER, span limits) the SDK reads from the process
 * environment itself; in the CLI the two are the same.
 */
import { ROOT_CONTEXT, defaultTextMapGetter, trace, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

type Env = Readonly<Record<string, string | undefined>>;

export interface TraceExportOptions {
  /** The full URL spans are POSTed to (`.../v1/traces`). */
  readonly url: string;
  readonly env: Env;
  /** migrator's version: `service.version`. */
  readonly serviceVersion: string;
  /** Bound on the final export, from the end of the command; see `exportTimeoutMs`. */
  readonly timeoutMs: number;
}

export interface TraceExport {
  readonly tracer: Tracer;
  /** The remote parent from `TRACEPARENT` (and `TRACESTATE`); `ROOT_CONTEXT` when absent or invalid. */
  readonly parent: Context;
  /** Whether `TRACEPARENT` was set but is not a valid W3C traceparent (the run starts a new trace). */
  readonly invalidParent: boolean;
  /**
   * Sends the spans still queued and shuts the exporter down, within `timeoutMs`. Never rejects:
   * resolves to why the export failed, or `undefined` when it succeeded.
   */
  shutdown(): Promise<string | undefined>;
}

/** Spans kept while the collector is slow; beyond this the oldest are dropped, the run goes on. */
const MAX_QUEUED_SPANS = 8192;

/** Creates the provider and the exporter; sends nothing until spans end. */
export function createTraceExport(options: TraceExportOptions): TraceExport {
  const { timeoutMs } = options;
  const exporter = new OTLPTraceExporter({ url: options.url, timeoutMillis: timeoutMs });
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(resourceAttributes(options.env, options.serviceVersion))),
    // The processor's and the flush's own timers run a little longer than the exporter's, so that a
    // collector that does not answer is reported by the exporter ("Request timed out").
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: MAX_QUEUED_SPANS, exportTimeoutMillis: timeoutMs + 100 })],
    forceFlushTimeoutMillis: timeoutMs + 200,
  });
  const parent = parentContext(options.env);
  return {
    tracer: provider.getTracer('migrator', options.serviceVersion),
    parent,
    invalidParent: options.env['TRACEPARENT'] !== undefined && trace.getSpanContext(parent) === undefined,
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      // Not unref'd: while main() awaits this, the timer is what keeps the process alive.
      const deadline = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs + 500);
      });
      const work = (async () => {
        const failure = await provider.forceFlush().then(() => undefined, reasonOf);
        await provider.shutdown().catch(() => undefined);
        return failure;
      })();
      try {
        return await Promise.race([work, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The parent of the run span: the W3C trace context in `TRACEPARENT`/`TRACESTATE` (the variables
 * CI systems and `otel-cli` set), so the migration appears inside the pipeline's trace.
 */
export function parentContext(env: Env): Context {
  const carrier = { traceparent: env['TRACEPARENT']?.trim(), tracestate: env['TRACESTATE']?.trim() };
  return new W3CTraceContextPropagator().extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/**
 * `service.name` migrator and `service.version`, overridden by `OTEL_RESOURCE_ATTRIBUTES`
 * (`key=value,...`, percent-encoded), itself overridden by `OTEL_SERVICE_NAME`, as the
 * specification orders them. A malformed entry is skipped.
 */
export function resourceAttributes(env: Env, serviceVersion: string): Attributes {
  const attributes: Record<string, string> = { 'service.name': 'migrator', 'service.version': serviceVersion };
  for (const entry of (env['OTEL_RESOURCE_ATTRIBUTES'] ?? '').split(',')) {
    const [key, value, extra] = entry.split('=');
    if (key === undefined || value === undefined || extra !== undefined || key.trim() === '') continue;
    try {
      attributes[decodeURIComponent(key.trim())] = decodeURIComponent(value.trim());
    } catch {
      // A broken percent-escape: that entry only.
    }
  }
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  if (serviceName) attributes['service.name'] = serviceName;
  return attributes;
}

/** forceFlush rejects with the processors' errors: the first one's message, with its HTTP status. */
function reasonOf(errors: unknown): string {
  const first: unknown = Array.isArray(errors) ? errors[0] : errors;
  if (!(first instanceof Error)) return String(first);
  const status = (first as { code?: unknown }).code;
  return typeof status === 'number' ? `HTTP ${status} ${first.message}`.trim() : first.message;
}
