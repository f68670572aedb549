/**
 * Tracing, end to end: `migrate up` with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP
 * receiver in the test (the exporter sends JSON), a CI pipeline's TRACEPARENT, a collector that is
 * down or never answers, and proof that a run without the variable loads none of OpenTelemetry.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'vitest';
import { createDatabase, findServer } from '../support/databases.js';
import { EXIT, Project, logLines, unexpectedStderr } from './helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PIPELINE_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PIPELINE_SPAN_ID}-01`;

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: ReadonlyArray<{ key: string; value: AnyValue }>;
  readonly status: { code?: number; message?: string };
}
interface ExportRequest {
  readonly resourceSpans: ReadonlyArray<{
    resource: { attributes: ReadonlyArray<{ key: string; value: AnyValue }> };
    scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<OtlpSpan> }>;
  }>;
}

/** A span as the test reads it: attributes as a plain object (OTLP JSON sends int64 as strings). */
interface Span {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Record<string, string | number | boolean | undefined>;
  readonly status: { code?: number; message?: string };
}

function plain(attributes: ReadonlyArray<{ key: string; value: AnyValue }>): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))]));
}

/** An OTLP/HTTP receiver on a free port: records each POST to /v1/traces. */
async function startCollector(cleanup: { onTestFinished(fn: () => Promise<void>): void }) {
  const requests: Array<{ path: string; contentType: string | undefined; body: ExportRequest }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.onTestFinished(() => new Promise((resolve) => server.close(() => resolve())));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans: (): Span[] => requests.flatMap((request) => request.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({
      name: span.name, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, attributes: plain(span.attributes), status: span.status,
    }))))),
    resource: (): Record<string, unknown> => plain(requests[0]?.body.resourceSpans[0]?.resource.attributes ?? []),
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function writeMigrations(project: Project): void {
  project.write('V1__users.sql', 'CREATE TABLE users (id int PRIMARY KEY, name text);\nINSERT INTO users VALUES (1, \'ada\'), (2, \'grace\');\n');
  project.write('V2__orders.sql', 'CREATE TABLE orders (id int PRIMARY KEY, user_id int);\n');
}

const byName = (spans: Span[], name: string): Span[] => spans.filter((span) => span.name === name);

/** How long the process lived after its run finished (from the "run finished" log line's time). */
function lingeredMs(stderr: string, exitedAt: number): number {
  const finished = logLines(stderr).find((line) => line.msg === 'run finished');
  if (typeof finished?.['time'] !== 'number') throw new Error(`no "run finished" log line in:\n${stderr}`);
  return exitedAt - finished['time'];
}

describe.concurrent('tracing to an OTLP endpoint', () => {
  it('sends run > migration > statement, inside the pipeline\'s trace, with the run\'s attributes', async ({ expect, onTestFinished }) => {
    const collector = await startCollector({ onTestFinished });
    const project = new Project({ onTestFinished });
    writeMigrations(project);

    fs.writeFileSync(path.join(project.dir, 'migrator.config.json'), JSON.stringify({ environments: { staging: {} } }));

    const up = await project.run(['up', '--url', 'sqlite:./app.db'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, TRACEPARENT, MIGRATOR_ENV: 'staging', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging' } });
    expect(up.code, up.stderr).toBe(EXIT.ok);
    expect(unexpectedStderr(up.stderr)).toEqual([]);
    expect(collector.requests.map((request) => [request.path, request.contentType])).toEqual([['/v1/traces', 'application/json']]);
    expect(collector.resource()).toMatchObject({ 'service.name': 'migrator', 'service.version': expect.stringMatching(/^\d+\.\d+\.\d+/), 'deployment.environment.name': 'staging' });

    const spans = collector.spans();
    expect(spans.every((span) => span.traceId === TRACE_ID)).toBe(true);
    const [root, ...others] = byName(spans, 'migrator.run');
    expect(others).toEqual([]);
    expect(root?.parentSpanId).toBe(PIPELINE_SPAN_ID);
    expect(root?.attributes).toMatchObject({ 'db.system': 'sqlite', 'migrator.environment': 'staging', 'migrator.command': 'migrate up --url sqlite:./app.db', 'migrator.direction': 'up', 'migrator.outcome': 'success', 'migrator.completed': 2, 'migrator.to_version': '2', 'migrator.exit_code': 0 });
    expect(root?.attributes['migrator.run_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(root?.status.code ?? 0).toBe(0);

    expect(byName(spans, 'migrator.lock').map((span) => span.parentSpanId)).toEqual([root?.spanId]);
    const migrations = byName(spans, 'migrator.migration');
    expect(migrations.map((span) => [span.attributes['migrator.version'], span.attributes['migrator.direction'], span.attributes['code.file.path'], span.parentSpanId])).toEqual([
      ['1', 'up', path.join('migrations', 'V1__users.sql'), root?.spanId],
      ['2', 'up', path.join('migrations', 'V2__orders.sql'), root?.spanId],
    ]);
    const statements = byName(spans, 'migrator.statement');
    expect(statements.map((span) => [migrations.findIndex((m) => m.spanId === span.parentSpanId), span.attributes['migrator.statement.index'], span.attributes['code.line.number'], span.attributes['migrator.rows']])).toEqual([[0, 0, 1, 0], [0, 1, 2, 2], [1, 0, 1, 0]]);
    expect(migrations.map((span) => span.attributes['migrator.rows'])).toEqual([2, 0]);
    // SQL text is never an attribute.
    expect(JSON.stringify(collector.requests)).not.toMatch(/CREATE TABLE|INSERT INTO/);
  });

  it('marks the failed migration and the run as errors, and the exit code stays the run\'s', async ({ expect, onTestFinished }) => {
    const collector = await startCollector({ onTestFinished });
    const project = new Project({ onTestFinished });
    project.write('V1__broken.sql', 'CREATE TABLE a (id int);\nINSERT INTO missing_table VALUES (1);\n');

    const up = await project.run(['up'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } });
    expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
    const spans = collector.spans();
    const [migration] = byName(spans, 'migrator.migration');
    expect(migration?.status).toMatchObject({ code: 2, message: expect.stringContaining('missing_table') });
    expect(migration?.attributes).toMatchObject({ 'error.type': expect.stringMatching(/^E_[A-Z_]+$/), 'migrator.statement.index': 1 });
    expect(byName(spans, 'migrator.statement')).toHaveLength(1);
    const [root] = byName(spans, 'migrator.run');
    expect(root?.status.code).toBe(2);
    expect(root?.attributes).toMatchObject({ 'migrator.exit_code': EXIT.migrationFailed, 'migrator.outcome': 'failure' });
    expect(root?.parentSpanId).toBeUndefined();
  });

  it('exits 0 within the export timeout when the collector is down, with one warning', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeMigrations(project);
    const up = await project.run(['up'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }, timeoutMs: 20_000 });

    expect(up.code, up.stderr).toBe(EXIT.ok);
    // The default bound is 5 s; retries of a refused connection stop before it (margin for a busy machine).
    expect(lingeredMs(up.stderr, Date.now())).toBeLessThan(7_000);
    expect(unexpectedStderr(up.stderr)).toEqual([]);
    const warnings = logLines(up.stderr).filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([expect.stringMatching(/^could not export the trace: .*ECONNREFUSED/)]);
  });

  it('does not hang on a collector that accepts and never answers: OTEL_EXPORTER_OTLP_TIMEOUT bounds it', async ({ expect, onTestFinished }) => {
    const sockets = new Set<Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const project = new Project({ onTestFinished });
    writeMigrations(project);
    const up = await project.run(['up'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' } });

    expect(up.code, up.stderr).toBe(EXIT.ok);
    expect(lingeredMs(up.stderr, Date.now())).toBeLessThan(3_000);
    expect(logLines(up.stderr).filter((line) => line.level === 40).map((line) => line.msg)).toEqual(['could not export the trace: Request timed out']);
  });

  it('loads no OpenTelemetry module at all without an endpoint', async ({ expect, onTestFinished }) => {
    const collector = await startCollector({ onTestFinished });
    const project = new Project({ onTestFinished });
    writeMigrations(project);
    // A module resolve hook (node --import) logs every ESM specifier the CLI resolves.
    const hooks = path.join(project.dir, 'hooks.mjs');
    fs.writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.RESOLVE_LOG, specifier + ' ' + result.url + '\\n');\n  return result;\n}\n`);
    fs.writeFileSync(path.join(project.dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const resolved = (log: string): string[] => fs.readFileSync(path.join(project.dir, log), 'utf8').split('\n').filter((line) => /opentelemetry|trace-export|trace-events/.test(line));
    const env = (log: string) => ({ NODE_OPTIONS: `--import=${path.join(project.dir, 'register.mjs')}`, RESOLVE_LOG: path.join(project.dir, log) });

    const off = await project.run(['up'], { env: env('off.log') });
    expect(off.code, off.stderr).toBe(EXIT.ok);
    expect(fs.readFileSync(path.join(project.dir, 'off.log'), 'utf8')).toContain('/dist/migrate.mjs');
    expect(resolved('off.log')).toEqual([]);

    // The same hook sees the SDK when tracing is on, so the empty list above means something.
    const on = await project.run(['status'], { env: { ...env('on.log'), OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } });
    expect(on.code, on.stderr).toBe(EXIT.ok);
    expect(resolved('on.log').join('\n')).toMatch(/@opentelemetry\/sdk-trace-base/);
  });
});

const postgres = await findServer('postgres');

describe.skipIf(postgres.skip !== undefined)('tracing on PostgreSQL', () => {
  it('names the engine postgresql', async ({ expect, onTestFinished }) => {
    if (postgres.server === undefined) return;
    const database = await createDatabase(postgres.server, 'tracing');
    onTestFinished(() => database.drop());
    const collector = await startCollector({ onTestFinished });
    const project = new Project({ onTestFinished });
    writeMigrations(project);

    const up = await project.run(['up', '--url', database.url], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } });
    expect(up.code, up.stderr).toBe(EXIT.ok);
    const spans = collector.spans();
    expect(new Set(spans.map((span) => span.attributes['db.system']))).toEqual(new Set(['postgresql']));
    expect(byName(spans, 'migrator.statement')).toHaveLength(3);
  });
});
