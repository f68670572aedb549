/**
 * Real database servers for integration and end-to-end tests. A server's URL comes from
 * MIGRATOR_TEST_POSTGRES_URL / MIGRATOR_TEST_MYSQL_URL; without one, the conventional local server is
 * probed (127.0.0.1, as on every developer machine and CI here), then Docker via testcontainers.
 * When none answers, suites skip with a one-line reason, except under CI=true, where they fail:
 * CI must prove every engine. Each test file creates its own database, so files run in parallel.
 */
import { randomBytes } from 'node:crypto';

export type ServerEngine = 'postgres' | 'mysql';

export interface Server {
  readonly engine: ServerEngine;
  /** Admin URL of the server (a database that always exists). */
  readonly url: string;
}

export type ServerLookup = { readonly server: Server; readonly skip: undefined } | { readonly server: undefined; readonly skip: string };

const ENV: Record<ServerEngine, string> = { postgres: 'MIGRATOR_TEST_POSTGRES_URL', mysql: 'MIGRATOR_TEST_MYSQL_URL' };
const LOCAL: Record<ServerEngine, string> = { postgres: 'postgres://postgres@127.0.0.1:5432/test', mysql: 'mysql://root@127.0.0.1:3306/test' };

async function ping(engine: ServerEngine, url: string): Promise<string | undefined> {
  try {
    if (engine === 'postgres') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
    } else {
      const mysql = await import('mysql2/promise');
      const connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
      await connection.query('SELECT 1');
      await connection.end();
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function fromDocker(engine: ServerEngine): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  if (engine === 'postgres') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15').withDatabase('test').withUsername('postgres').withPassword('postgres').start();
    return container.getConnectionUri();
  }
  const { MariaDbContainer } = await import('@testcontainers/mariadb');
  const container = await new MariaDbContainer('mariadb:10.11').withDatabase('test').withUserPassword('root').start();
  return `mysql://root:root@${container.getHost()}:${container.getPort()}/test`;
}

const lookups = new Map<ServerEngine, Promise<ServerLookup>>();

async function lookUp(engine: ServerEngine): Promise<ServerLookup> {
  const configured = process.env[ENV[engine]];
  const candidates = configured ? [configured] : [LOCAL[engine]];
  let failure = 'not reachable';
  for (const url of candidates) {
    const error = await ping(engine, url);
    if (error === undefined) return { server: { engine, url }, skip: undefined };
    failure = error;
  }
  if (!configured) {
    const url = await fromDocker(engine);
    if (url) return { server: { engine, url }, skip: undefined };
  }
  const reason = `${engine} tests skipped: no server at ${configured ? `$${ENV[engine]}` : LOCAL[engine]} (${failure}) and no Docker; set ${ENV[engine]} to run them`;
  if (process.env['CI'] === 'true') throw new Error(`CI=true requires the ${engine} suite to run, but ${reason.replace(/^.*skipped: /, '')}`);
  return { server: undefined, skip: reason };
}

/**
 * The server for `engine`, or the reason to skip. Throws under CI=true when there is none.
 * Use at the top of a test file: `const pg = await findServer('postgres')`.
 */
export function findServer(engine: ServerEngine): Promise<ServerLookup> {
  let lookup = lookups.get(engine);
  if (!lookup) {
    lookup = lookUp(engine);
    lookups.set(engine, lookup);
  }
  return lookup;
}

/** A uniquely named database created for one test or file, and how to reach and drop it. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates a fresh, empty database named after `label` on `server`. */
export async function createDatabase(server: Server, label: string): Promise<TestDatabase> {
  const name = `mt_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin(server, `CREATE DATABASE ${quote(server.engine, name)}`);
  return {
    name,
    url: withDatabase(server.url, name),
    drop: () => admin(server, server.engine === 'postgres' ? `DROP DATABASE IF EXISTS ${quote(server.engine, name)} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${quote(server.engine, name)}`),
  };
}

function quote(engine: ServerEngine, name: string): string {
  return engine === 'postgres' ? `"${name}"` : `\`${name}\``;
}

/** Runs one statement on the server's admin database. */
export async function admin(server: Server, sql: string): Promise<void> {
  if (server.engine === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return;
  }
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({ uri: server.url });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}
