/**
 * The metrics of one command, fed with the core's events, read back as Prometheus text; and the
 * pure parts of their delivery (families, the textfile merge, the Pushgateway path).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { MigratorEvent } from '../../src/core/events.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { families, mergeExposition, pushMetrics, pushPath, serveMetrics } from '../../src/observability/metrics-delivery.js';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A run of `up` with two pending migrations: the first applied (2 statements, 3 + 0 rows), the second failed. */
const FAILED_RUN: ReadonlyArray<MigratorEvent> = [
  { type: 'lock.waiting', waitedMs: 1000, holder: undefined },
  { type: 'lock.acquired', waitedMs: 1500 },
  { type: 'run.started', runId: 'r1', command: 'migrate up', direction: 'up', pending: 2, dryRun: false },
  { type: 'migration.started', id: '1', version: '1', direction: 'up', file: 'V1__a.sql', statements: 2 },
  { type: 'statement.executed', id: '1', index: 0, line: 1, durationMs: 5, rows: 3 },
  { type: 'statement.executed', id: '1', index: 1, line: 2, durationMs: 5, rows: 0 },
  { type: 'migration.applied', id: '1', version: '1', description: 'a', durationMs: 200, statements: 2 },
  { type: 'migration.started', id: '2', version: '2', direction: 'up', file: 'V2__b.sql', statements: 1 },
  { type: 'migration.failed', id: '2', version: '2', direction: 'up', durationMs: 30, statementIndex: 0, code: 'E_MIGRATION_FAILED', message: 'boom' },
  { type: 'run.finished', runId: 'r1', direction: 'up', count: 1, durationMs: 2500, outcome: 'failure', fromVersion: null, toVersion: null },
];

async function fed(events: ReadonlyArray<MigratorEvent>, exitCode: number) {
  const metrics = await createMetrics({ environment: 'prod', now: () => NOW });
  for (const event of events) metrics.listener(event);
  metrics.finish({ exitCode });
  return metrics;
}

/** `name{labels} value` lines of the text, comments left out. */
const samples = (text: string): string[] => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('metrics from events', () => {
  it('counts a run with one success and one failure', async () => {
    const text = await (await fed(FAILED_RUN, 1)).exposition();
    expect(samples(text)).toEqual(expect.arrayContaining([
      'migrator_migrations_total{direction="up",outcome="success",environment="prod"} 1',
      'migrator_migrations_total{direction="up",outcome="failure",environment="prod"} 1',
      'migrator_statements_total{direction="up",environment="prod"} 2',
      'migrator_rows_processed_total{direction="up",environment="prod"} 3',
      'migrator_lock_wait_seconds{environment="prod"} 1.5',
      'migrator_pending_migrations{environment="prod"} 1',
      'migrator_run_duration_seconds{direction="up",outcome="failure",environment="prod"} 2.5',
      'migrator_migration_duration_seconds_count{environment="prod",direction="up",outcome="success"} 1',
      'migrator_migration_duration_seconds_sum{environment="prod",direction="up",outcome="success"} 0.2',
      'migrator_migration_duration_seconds_bucket{le="0.25",environment="prod",direction="up",outcome="success"} 1',
      'migrator_migration_duration_seconds_bucket{le="0.1",environment="prod",direction="up",outcome="success"} 0',
      'migrator_migration_duration_seconds_count{environment="prod",direction="up",outcome="failure"} 1',
    ]));
    expect(text).not.toContain('migrator_last_success_timestamp_seconds');
    expect(text).toContain('# TYPE migrator_migrations_total counter');
    expect(text).toContain('# TYPE migrator_migration_duration_seconds histogram');
  });

  it('counts the rows of ctx.batch jobs this run committed, not those a resume continued from', async () => {
    const text = await (await fed([
      { type: 'run.started', runId: 'r1', command: 'migrate up --resume', direction: 'up', pending: 1, dryRun: false },
      { type: 'migration.started', id: '7', version: '7', direction: 'up', file: 'V7__fill.ts', statements: 0 },
      { type: 'batch.started', id: '7', name: 'fill', table: 'users', total: 30_000, resumedFrom: 10_000 },
      { type: 'batch.progress', id: '7', name: 'fill', batch: 2, rows: 20_000, total: 30_000, rowsPerSecond: 5000, etaMs: 2000, done: false },
      { type: 'batch.progress', id: '7', name: 'fill', batch: 3, rows: 25_000, total: 30_000, rowsPerSecond: 5000, etaMs: 1000, done: false },
      { type: 'batch.progress', id: '7', name: 'fill', batch: 3, rows: 25_000, total: 30_000, rowsPerSecond: 5000, etaMs: 0, done: true },
      { type: 'migration.applied', id: '7', version: '7', description: 'fill', durationMs: 3000, statements: 6 },
    ], 0)).exposition();
    expect(samples(text)).toContain('migrator_batch_rows_processed_total{direction="up",environment="prod"} 15000');
  });

  it('sets the last success only when the run succeeded and the command exited 0', async () => {
    const success: MigratorEvent[] = [
      { type: 'run.started', runId: 'r2', command: 'migrate up', direction: 'up', pending: 0, dryRun: false },
      { type: 'run.finished', runId: 'r2', direction: 'up', count: 0, durationMs: 10, outcome: 'success', fromVersion: '1', toVersion: '1' },
    ];
    const ok = await (await fed(success, 0)).exposition();
    expect(samples(ok)).toContain(`migrator_last_success_timestamp_seconds{environment="prod"} ${NOW / 1000}`);
    // Nothing to do is a success; its zeros replace the counts of the previous run.
    expect(samples(ok)).toEqual(expect.arrayContaining([
      'migrator_migrations_total{direction="up",outcome="success",environment="prod"} 0',
      'migrator_migrations_total{direction="up",outcome="failure",environment="prod"} 0',
      'migrator_pending_migrations{environment="prod"} 0',
    ]));
    expect(await (await fed(success, 6)).exposition()).not.toContain('migrator_last_success_timestamp_seconds');
  });

  it('labels a down run, an interrupted migration, and leaves pending alone after down', async () => {
    const text = await (await fed([
      { type: 'run.started', runId: 'r3', command: 'migrate down', direction: 'down', pending: 2, dryRun: false },
      { type: 'migration.started', id: '2', version: '2', direction: 'down', file: 'V2__b.sql', statements: 1 },
      { type: 'statement.executed', id: '2', index: 0, line: 1, durationMs: 1 },
      { type: 'migration.reverted', id: '2', version: '2', description: 'b', durationMs: 10, statements: 1 },
      { type: 'migration.started', id: '1', version: '1', direction: 'down', file: 'V1__a.sql', statements: 1 },
      { type: 'migration.failed', id: '1', version: '1', direction: 'down', durationMs: 5, statementIndex: 0, code: 'E_INTERRUPTED', message: 'interrupted' },
      { type: 'run.finished', runId: 'r3', direction: 'down', count: 1, durationMs: 20, outcome: 'interrupted', fromVersion: '2', toVersion: null },
    ], 130)).exposition();
    expect(samples(text)).toEqual(expect.arrayContaining([
      'migrator_migrations_total{direction="down",outcome="success",environment="prod"} 1',
      'migrator_migrations_total{direction="down",outcome="interrupted",environment="prod"} 1',
      'migrator_statements_total{direction="down",environment="prod"} 1',
      'migrator_rows_processed_total{direction="down",environment="prod"} 0',
      'migrator_run_duration_seconds{direction="down",outcome="interrupted",environment="prod"} 0.02',
    ]));
    expect(text).not.toContain('migrator_pending_migrations');
  });

  it('reports pending migrations from status and dry runs; other commands record nothing', async () => {
    const status = await fed([{ type: 'status.inspected', pending: 4 }], 0);
    expect(samples(await status.exposition())).toEqual(['migrator_pending_migrations{environment="prod"} 4']);
    const dry = await fed([{ type: 'run.started', runId: 'r4', command: 'migrate up --dry-run', direction: 'up', pending: 3, dryRun: true }], 0);
    expect(samples(await dry.exposition())).toEqual(['migrator_pending_migrations{environment="prod"} 3']);
    const nothing = await fed([{ type: 'metadata.prepared', created: false }], 0);
    expect(nothing.recorded()).toBe(false);
    expect((await nothing.exposition()).trim()).toBe('');
    expect(status.recorded()).toBe(true);
  });

  it('leaves the environment label to the grouping key when asked, and keeps it afterwards', async () => {
    const metrics = await fed(FAILED_RUN, 1);
    const pushed = await metrics.exposition({ environmentLabel: false });
    expect(pushed).not.toContain('environment=');
    expect(samples(pushed)).toContain('migrator_lock_wait_seconds 1.5');
    expect(await metrics.exposition()).toContain('environment="prod"');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('uses a registry of its own: two commands in one process do not share counts', async () => {
    const first = await fed(FAILED_RUN, 1);
    const second = await fed(FAILED_RUN, 1);
    expect(samples(await second.exposition())).toContain('migrator_migrations_total{direction="up",outcome="success",environment="prod"} 1');
    expect(await first.exposition()).toBe(await second.exposition());
    const { register } = await import('prom-client');
    expect(await register.metrics()).not.toContain('migrator_');
  });
});

describe('textfile merge', () => {
  const previous = [
    '# HELP migrator_last_success_timestamp_seconds When.', '# TYPE migrator_last_success_timestamp_seconds gauge', 'migrator_last_success_timestamp_seconds{environment="prod"} 100', '',
    '# HELP migrator_migrations_total Migrations.', '# TYPE migrator_migrations_total counter', 'migrator_migrations_total{direction="up",outcome="success",environment="prod"} 5', '',
    '# HELP other_metric Not ours.', '# TYPE other_metric gauge', 'other_metric 1', '',
  ].join('\n');
  const current = '# HELP migrator_migrations_total Migrations.\n# TYPE migrator_migrations_total counter\nmigrator_migrations_total{direction="up",outcome="failure",environment="prod"} 1\n';

  it('splits families, histograms included', () => {
    const found = families('# HELP h_seconds H.\n# TYPE h_seconds histogram\nh_seconds_bucket{le="1"} 0\nh_seconds_sum 0\nh_seconds_count 0\n\n# HELP g G.\n# TYPE g gauge\ng 1\n');
    expect([...found.keys()]).toEqual(['h_seconds', 'g']);
    expect(found.get('h_seconds')).toContain('h_seconds_count 0\n');
  });

  it('keeps the families this command did not produce, of its environment, and replaces the others', () => {
    const merged = mergeExposition(previous, current, 'prod');
    expect(samples(merged)).toEqual([
      'migrator_migrations_total{direction="up",outcome="failure",environment="prod"} 1',
      'migrator_last_success_timestamp_seconds{environment="prod"} 100',
    ]);
    expect(samples(mergeExposition(previous, current, 'staging'))).toEqual(['migrator_migrations_total{direction="up",outcome="failure",environment="prod"} 1']);
    expect(mergeExposition('', current, 'prod')).toBe(current);
  });
});

describe('Pushgateway path', () => {
  it.each([
    ['', [['instance', 'db-1'], ['environment', 'prod']], '/metrics/job/migrator/instance/db-1/environment/prod'],
    ['/gateway/', [['instance', 'db 1']], '/gateway/metrics/job/migrator/instance/db%201'],
    ['/', [['instance', 'a/b'], ['environment', '']], '/metrics/job/migrator/instance@base64/YS9i/environment@base64/='],
  ] as const)('base %j, grouping %j -> %s', (base, grouping, expected) => {
    expect(pushPath(base, 'migrator', grouping)).toBe(expected);
  });
});

/** A local HTTP server that answers each request with `status` and records it. */
async function recorder(status: number): Promise<{ url: string; requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(status).end(status >= 400 ? 'push rejected' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('delivery over HTTP', () => {
  it('pushes with POST, the grouping path, the content type and basic auth from the URL', async () => {
    const gateway = await recorder(200);
    try {
      const url = gateway.url.replace('http://', 'http://pusher:s%3Acret@');
      await pushMetrics({ url, job: 'migrator', grouping: [['instance', 'host-1'], ['environment', 'prod']], timeoutMs: 5000 }, 'm 1\n', 'text/plain; version=0.0.4; charset=utf-8');
      expect(gateway.requests).toHaveLength(1);
      const [request] = gateway.requests;
      expect(request).toMatchObject({ method: 'POST', url: '/metrics/job/migrator/instance/host-1/environment/prod', body: 'm 1\n' });
      expect(request?.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('pusher:s:cret').toString('base64')}`);
    } finally {
      await gateway.close();
    }
  });

  it('rejects on an HTTP error or no server, never naming the credentials', async () => {
    const gateway = await recorder(401);
    try {
      const push = pushMetrics({ url: gateway.url.replace('http://', 'http://u:hunter22@'), job: 'migrator', grouping: [], timeoutMs: 5000 }, 'm 1\n', 'text/plain');
      await expect(push).rejects.toThrow('HTTP 401 Unauthorized: push rejected');
    } finally {
      await gateway.close();
    }
    // The port of a server just closed: nothing listens there now (fetch refuses low ports such as 1 itself).
    const closed = await serveMetrics(0, async () => '', 'text/plain');
    await closed.close();
    const refused = await pushMetrics({ url: `http://u:hunter22@127.0.0.1:${closed.port}`, job: 'migrator', grouping: [], timeoutMs: 5000 }, 'm 1\n', 'text/plain').catch((error: Error) => error.message);
    expect(refused).toMatch(/ECONNREFUSED/);
    expect(refused).not.toContain('hunter22');
  });

  it('serves /metrics while open, 404 elsewhere, and stops on close', async () => {
    let scrapes = 0;
    const server = await serveMetrics(0, async () => `m ${++scrapes}\n`, 'text/plain; version=0.0.4; charset=utf-8');
    const base = `http://127.0.0.1:${server.port}`;
    const first = await fetch(`${base}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await first.text()).toBe('m 1\n');
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('m 2\n');
    expect((await fetch(`${base}/other`)).status).toBe(404);
    await server.close();
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const first = await serveMetrics(0, async () => '', 'text/plain');
    try {
      await expect(serveMetrics(first.port, async () => '', 'text/plain')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
