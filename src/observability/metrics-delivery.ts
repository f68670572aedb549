/**
 * Where metrics go: a node_exporter textfile (written atomically), a Pushgateway (pushed once the
 * command has ended), and `/metrics` served over HTTP while a long command runs. Each takes the
 * exposition text (or a way to get it) from metrics.ts and knows nothing of events.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * The metric families of an exposition text by name, each as its `# HELP`/`# TYPE` lines and the
 * samples after them (a histogram's `_bucket`, `_sum`, `_count` too). Lines before the first
 * announcement are dropped.
 */
export function families(text: string): Map<string, string> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const announced = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1];
    if (announced !== undefined) {
      current = found.get(announced) ?? [];
      found.set(announced, current);
    }
    current?.push(line);
  }
  return new Map([...found].map(([name, lines]) => [name, `${lines.join('\n')}\n`]));
}

/**
 * `current` plus the `migrator_*` families of `previous`, of the same environment, that `current`
 * lacks: as a Pushgateway keeps what a POST did not replace, a family this command did not produce
 * (the last success of an earlier run, after a failed one) keeps its last written value.
 */
export function mergeExposition(previous: string, current: string, environment: string): string {
  const now = families(current);
  const sameEnvironment = (block: string): boolean => block.includes(`environment="${environment}"`);
  const kept = [...families(previous)].filter(([name, block]) => name.startsWith('migrator_') && !now.has(name) && sameEnvironment(block)).map(([, block]) => block);
  return [...now.values(), ...kept].join('\n');
}

/**
 * Writes `text` to `file` for node_exporter's textfile collector, merged with what the file held
 * (see `mergeExposition`). Atomic: a temporary file in the same directory (named so the collector,
 * which reads `*.prom`, skips it) is written, then renamed over `file`, so a scrape never reads
 * half a file. Rejects when the directory cannot be written; the temporary file is removed.
 */
export async function writeTextfile(file: string, text: string, environment: string): Promise<void> {
  const previous = await fs.readFile(file, 'utf8').catch(() => '');
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temporary, mergeExposition(previous, text, environment), { flag: 'wx' });
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`the directory ${path.dirname(file)} does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`no permission to write in ${path.dirname(file)}`);
    throw error;
  }
}

export interface PushTarget {
  /** The Pushgateway's base URL; user and password in it become a basic-auth header. */
  readonly url: string;
  /** The grouping key after `job`: `instance`, `environment`, in this order. */
  readonly grouping: ReadonlyArray<readonly [string, string]>;
  readonly job: string;
  readonly timeoutMs: number;
}

/** `/metrics/job/<job>/<label>/<value>...` under the URL's own path; `@base64` where a value has a `/` or is empty. */
export function pushPath(basePath: string, job: string, grouping: PushTarget['grouping']): string {
  const segment = (label: string, value: string): string =>
    value === '' || value.includes('/') ? `${label}@base64/${Buffer.from(value).toString('base64url') || '='}` : `${label}/${encodeURIComponent(value)}`;
  return `${basePath.replace(/\/+$/, '')}/metrics/${[segment('job', job), ...grouping.map(([label, value]) => segment(label, value))].join('/')}`;
}

/**
 * POSTs `text` to the Pushgateway: the group's families in it replace those pushed before, the
 * others stay (the last success survives a failed run). Rejects with a message that never holds
 * the URL's credentials, on a refused connection, a timeout or an HTTP error status.
 */
export async function pushMetrics(target: PushTarget, text: string, contentType: string): Promise<void> {
  const url = new URL(target.url);
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  // fetch refuses URLs with credentials: they travel in the header only.
  const endpoint = new URL(pushPath(url.pathname, target.job, target.grouping), `${url.protocol}//${url.host}`);
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (error) {
    throw new Error(fetchFailure(error, target.timeoutMs));
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).trim().slice(0, 200);
    throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${body ? `: ${body}` : ''}`);
  }
}

/** Why fetch failed, in words (undici says only "fetch failed" and puts the reason in `cause`). */
function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}

export interface MetricsServer {
  /** The port it listens on (the one the system chose for port 0). */
  readonly port: number;
  /** Stops listening and ends open connections. Never rejects. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on `port` (all interfaces) with what `exposition()` returns at each
 * scrape; 404 elsewhere. The server does not keep the process alive. Rejects when it cannot
 * listen (the port is taken, not permitted).
 */
export function serveMetrics(port: number, exposition: () => Promise<string>, contentType: string): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    exposition().then(
      (text) => response.writeHead(200, { 'Content-Type': contentType }).end(text),
      () => response.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      server.unref();
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
