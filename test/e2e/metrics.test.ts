/**
 * Prometheus metrics as an operator reads them: the node_exporter textfile after a run with one
 * success and one failure (atomically written, names, labels, values, the last success), a
 * Pushgateway (a small HTTP server here) with its grouping path, basic auth and text body, /metrics
 * served during a run, rows counted on every engine, and prom-client left unloaded without metrics.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTarget, engineCases } from './engines/support.js';
import { EXIT, Project, logLines, slowStatement, type CliResult } from './helpers.js';

const V1 = 'CREATE TABLE t (id INTEGER);\nINSERT INTO t (id) VALUES (1), (2), (3);\nUPDATE t SET id = id + 10;\n';
const V2_BROKEN = 'INSERT INTO no_such_table (id) VALUES (1);\n';
const V2_FIXED = 'CREATE TABLE u (id INTEGER);\n';

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return { name: match[1] as string, labels, value: Number(match[3]) };
  });
}

/** The value of the one sample with exactly these labels; `undefined` when there is none. */
function value(samples: ReadonlyArray<Sample>, name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** A project whose config defines the `staging` environment, with metrics/ for the textfile. */
function setUp(onTestFinished: (fn: () => void) => void): Project {
  const project = new Project({ onTestFinished });
  fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'environments:\n  staging: {}\n');
  fs.mkdirSync(path.join(project.dir, 'metrics'));
  project.write('V1__fill.sql', V1);
  project.write('V2__broken.sql', V2_BROKEN);
  return project;
}

describe('metrics textfile (node_exporter)', () => {
  it('after one success and one failure, then a success, then status: names, labels, values, last success', async ({ onTestFinished }) => {
    const project = setUp(onTestFinished);
    const file = path.join(project.dir, 'metrics', 'migrator.prom');
    const staging = (labels: Record<string, string> = {}): Record<string, string> => ({ ...labels, environment: 'staging' });

    const failed = await project.run(['up', '--env', 'staging', '--metrics-file', 'metrics/migrator.prom']);
    expect(failed.code, show(failed)).toBe(EXIT.migrationFailed);
    // Written by rename: no temporary file is left next to it.
    expect(fs.readdirSync(path.join(project.dir, 'metrics'))).toEqual(['migrator.prom']);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# TYPE migrator_migrations_total counter');
    expect(text).toContain('# TYPE migrator_migration_duration_seconds histogram');
    let samples = parse(text);
    expect(samples.every((s) => s.name.startsWith('migrator_') && s.labels['environment'] === 'staging')).toBe(true);
    expect(value(samples, 'migrator_migrations_total', staging({ direction: 'up', outcome: 'success' }))).toBe(1);
    expect(value(samples, 'migrator_migrations_total', staging({ direction: 'up', outcome: 'failure' }))).toBe(1);
    expect(value(samples, 'migrator_migration_duration_seconds_count', staging({ direction: 'up', outcome: 'success' }))).toBe(1);
    expect(value(samples, 'migrator_migration_duration_seconds_count', staging({ direction: 'up', outcome: 'failure' }))).toBe(1);
    expect(value(samples, 'migrator_migration_duration_seconds_bucket', staging({ direction: 'up', outcome: 'failure', le: '+Inf' }))).toBe(1);
    // V1's three statements; the failed one of V2 did not execute.
    expect(value(samples, 'migrator_statements_total', staging({ direction: 'up' }))).toBe(3);
    // Three rows inserted, three updated.
    expect(value(samples, 'migrator_rows_processed_total', staging({ direction: 'up' }))).toBe(6);
    expect(value(samples, 'migrator_pending_migrations', staging())).toBe(1);
    expect(value(samples, 'migrator_run_duration_seconds', staging({ direction: 'up', outcome: 'failure' }))).toBeGreaterThan(0);
    expect(value(samples, 'migrator_lock_wait_seconds', staging())).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'migrator_last_success_timestamp_seconds')).toBe(false);
    expect(new Set(samples.map((s) => s.name.replace(/_(?:bucket|sum|count)$/, '')))).toEqual(new Set([
      'migrator_migrations_total', 'migrator_migration_duration_seconds', 'migrator_run_duration_seconds', 'migrator_lock_wait_seconds',
      'migrator_statements_total', 'migrator_rows_processed_total', 'migrator_pending_migrations',
    ]));

    project.write('V2__broken.sql', V2_FIXED);
    const before = Math.floor(Date.now() / 1000);
    const fixed = await project.run(['up', '--env', 'staging', '--metrics-file', 'metrics/migrator.prom']);
    expect(fixed.code, show(fixed)).toBe(EXIT.ok);
    samples = parse(fs.readFileSync(file, 'utf8'));
    const lastSuccess = value(samples, 'migrator_last_success_timestamp_seconds', staging());
    expect(lastSuccess).toBeGreaterThanOrEqual(before);
    expect(lastSuccess).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(value(samples, 'migrator_migrations_total', staging({ direction: 'up', outcome: 'success' }))).toBe(1);
    expect(value(samples, 'migrator_migrations_total', staging({ direction: 'up', outcome: 'failure' }))).toBe(0);
    expect(value(samples, 'migrator_pending_migrations', staging())).toBe(0);
    expect(value(samples, 'migrator_run_duration_seconds', staging({ direction: 'up', outcome: 'success' }))).toBeGreaterThan(0);

    // status replaces only what it measures (pending); the last success and the run's counts stay.
    project.write('V3__more.sql', 'CREATE TABLE w (id INTEGER);\n');
    const status = await project.run(['status', '--env', 'staging'], { env: { MIGRATOR_METRICS_FILE: 'metrics/migrator.prom' } });
    expect(status.code, show(status)).toBe(EXIT.ok);
    samples = parse(fs.readFileSync(file, 'utf8'));
    expect(value(samples, 'migrator_pending_migrations', staging())).toBe(1);
    expect(value(samples, 'migrator_last_success_timestamp_seconds', staging())).toBe(lastSuccess);
    expect(value(samples, 'migrator_migrations_total', staging({ direction: 'up', outcome: 'success' }))).toBe(1);
    expect(fs.readdirSync(path.join(project.dir, 'metrics'))).toEqual(['migrator.prom']);
  });

  it('a file it cannot write is a warning: the exit code stays the run\'s', async ({ onTestFinished }) => {
    const project = setUp(onTestFinished);
    project.write('V2__broken.sql', V2_FIXED);
    const result = await project.run(['up', '--metrics-file', 'no/such/dir/migrator.prom']);
    expect(result.code, show(result)).toBe(EXIT.ok);
    const warning = logLines(result.stderr).find((line) => line.msg === 'cannot write the metrics file');
    expect(warning).toMatchObject({ level: 40, err: expect.stringContaining('does not exist') as unknown });
  });
});

interface Push {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** A stand-in Pushgateway: records each request and answers `status`. Closed when the test ends. */
async function gateway(onTestFinished: (fn: () => Promise<void>) => void, status = 200): Promise<{ readonly port: number; readonly pushes: Push[] }> {
  const pushes: Push[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      pushes.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, contentType: request.headers['content-type'], body });
      response.writeHead(status).end(status >= 400 ? 'gateway unhappy\n' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, pushes };
}

describe('metrics pushed to a Pushgateway', () => {
  const PASSWORD = 'Pu5h-s3cret-value';

  it('POSTs the run\'s metrics under job/instance/environment with basic auth; the password is never printed', async ({ onTestFinished }) => {
    const project = setUp(onTestFinished);
    const { port, pushes } = await gateway(onTestFinished);
    const url = `http://pusher:${PASSWORD}@127.0.0.1:${port}`;
    const result = await project.run(['up', '--env', 'staging', '--pushgateway', url, '--log-level', 'debug']);
    expect(result.code, show(result)).toBe(EXIT.migrationFailed);
    expect(pushes).toHaveLength(1);
    const [push] = pushes as [Push];
    expect(push.method).toBe('POST');
    expect(push.url).toBe(`/metrics/job/migrator/instance/${encodeURIComponent(os.hostname())}/environment/staging`);
    expect(push.authorization).toBe(`Basic ${Buffer.from(`pusher:${PASSWORD}`).toString('base64')}`);
    expect(push.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(push.body).toContain('# TYPE migrator_migrations_total counter');
    const samples = parse(push.body);
    // The environment comes from the grouping key, not from each sample.
    expect(samples.some((s) => 'environment' in s.labels)).toBe(false);
    expect(value(samples, 'migrator_migrations_total', { direction: 'up', outcome: 'success' })).toBe(1);
    expect(value(samples, 'migrator_migrations_total', { direction: 'up', outcome: 'failure' })).toBe(1);
    expect(value(samples, 'migrator_rows_processed_total', { direction: 'up' })).toBe(6);
    expect(samples.some((s) => s.name === 'migrator_last_success_timestamp_seconds')).toBe(false);

    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
    expect(logLines(result.stderr).find((line) => line.msg === 'metrics pushed')).toMatchObject({ pushgateway: `http://pusher:***@127.0.0.1:${port}` });
    expect(result.stderr).toContain('the --pushgateway holds a password');
    const recorded = project.withDb((db) => (db.prepare('SELECT command FROM migrator_audit').all() as Array<{ command: string }>).map((row) => row.command));
    expect(recorded.length).toBeGreaterThan(0);
    for (const command of recorded) expect(command).not.toContain(PASSWORD);
  });

  it('a failed push is a warning; the exit code is the run\'s (0 here)', async ({ onTestFinished }) => {
    const project = setUp(onTestFinished);
    project.write('V2__broken.sql', V2_FIXED);
    const { port, pushes } = await gateway(onTestFinished, 500);
    const result = await project.run(['up', '--env', 'staging'], { env: { MIGRATOR_METRICS_PUSHGATEWAY: `http://pusher:${PASSWORD}@127.0.0.1:${port}/` } });
    expect(result.code, show(result)).toBe(EXIT.ok);
    expect(pushes).toHaveLength(1);
    expect(parse(pushes[0]?.body ?? '').some((s) => s.name === 'migrator_last_success_timestamp_seconds')).toBe(true);
    const warning = logLines(result.stderr).find((line) => line.msg === 'cannot push metrics to the Pushgateway');
    expect(warning).toMatchObject({ level: 40, pushgateway: `http://pusher:***@127.0.0.1:${port}/`, err: 'HTTP 500 Internal Server Error: gateway unhappy' });
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
  });
});

describe('metrics served on --metrics-port', () => {
  it('serves /metrics while the run goes on, logs the port, and stops serving at the end', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    // Many slow statements: between two of them the CLI answers scrapes.
    project.write('V1__slow.sql', `${Array.from({ length: 40 }, () => slowStatement(300_000)).join('\n')}\n`);
    let announced!: (port: number) => void;
    const bound = new Promise<number>((resolve) => { announced = resolve; });
    const running = project.start(['up', '--metrics-port', '0'], {
      timeoutMs: 60_000,
      onStderr: (stderr) => {
        const line = logLines(stderr).find((l) => l.msg.startsWith('serving metrics on port'));
        if (line) announced(line['port'] as number);
      },
    });
    const port = await Promise.race([bound, running.result.then((result) => { throw new Error(`ended before serving metrics:\n${show(result)}`); })]);
    let scraped = '';
    for (let attempt = 0; attempt < 200; attempt++) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => '');
      if ((value(parse(text), 'migrator_statements_total', { direction: 'up', environment: 'default' }) ?? 0) > 0) {
        scraped = text;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const result = await running.result;
    expect(result.code, show(result)).toBe(EXIT.ok);
    expect(scraped, 'no scrape saw a statement counted while the run went on').not.toBe('');
    const during = parse(scraped);
    expect(value(during, 'migrator_statements_total', { direction: 'up', environment: 'default' })).toBeLessThan(40);
    expect(value(during, 'migrator_pending_migrations', { environment: 'default' })).toBe(1);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);

describe('rows processed, on every engine', () => {
  for (const engineCase of cases) {
    it.skipIf(engineCase.skip !== undefined)(`${engineCase.engine}: an UPDATE of 3 rows counts 3`, async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `metrics rows ${engineCase.engine}`, { onTestFinished });
      project.write('V1__fill.sql', 'CREATE TABLE r (id INTEGER, n INTEGER);\nINSERT INTO r (id, n) VALUES (1, 0), (2, 0), (3, 0), (4, 0);\n');
      const first = await project.run(['up', '--url', target.url]);
      expect(first.code, show(first)).toBe(EXIT.ok);
      project.write('V2__update.sql', 'UPDATE r SET n = 1 WHERE id <= 3;\n');
      const second = await project.run(['up', '--url', target.url, '--metrics-file', 'rows.prom']);
      expect(second.code, show(second)).toBe(EXIT.ok);
      const samples = parse(fs.readFileSync(path.join(project.dir, 'rows.prom'), 'utf8'));
      expect(value(samples, 'migrator_rows_processed_total', { direction: 'up', environment: 'default' })).toBe(3);
      expect(value(samples, 'migrator_statements_total', { direction: 'up', environment: 'default' })).toBe(1);
    });
  }
});

describe('prom-client is loaded only when a metrics output is configured', () => {
  it('a run without metrics does not load it; one with a metrics file does', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (id INTEGER);\n');
    // Reports, as the process exits, whether any prom-client module was loaded (ESM imports of a
    // CommonJS package go through the CommonJS loader and its cache).
    const probe = path.join(project.dir, 'probe.cjs');
    fs.writeFileSync(probe, "process.on('exit', () => { const n = Object.keys(require.cache).filter((k) => k.includes('/prom-client/')).length; require('fs').writeSync(2, `prom-client modules: ${n}\\n`); });\n");
    const env = { NODE_OPTIONS: `--require ${probe}` };
    const without = await project.run(['up'], { env });
    expect(without.code, show(without)).toBe(EXIT.ok);
    expect(without.stderr).toContain('prom-client modules: 0\n');
    const withFile = await project.run(['status', '--metrics-file', 'm.prom'], { env });
    expect(withFile.code, show(withFile)).toBe(EXIT.ok);
    expect(withFile.stderr).toMatch(/prom-client modules: [1-9]/);
  });
});
