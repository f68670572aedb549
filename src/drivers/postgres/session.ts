/**
 * One dedicated node-postgres connection (never a pool: session advisory locks and SET live on one
 * backend), its session settings, and the transaction state the driver and the heartbeat share.
 * It never reconnects: once the connection dies every call rejects with E_CONNECT.
 */
import pg from 'pg';
import type { ServerDriverOptions } from '../../core/ports.js';
import { MigratorError } from '../../core/errors.js';
import { connectError, connectionLost, createScrub, isConnectionError } from './errors.js';
import type { Scrub } from './errors.js';
import { copyFrom } from './copy.js';

/** Values a query binds: node-postgres sends them as text. */
export type Params = ReadonlyArray<string | number | boolean | null>;

// application_name is a `name`: PostgreSQL keeps NAMEDATALEN - 1 = 63 bytes.
const NAME_BYTES = 63;

/** Cuts `text` to 63 UTF-8 bytes without splitting a character. */
export function truncateName(text: string): string {
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > NAME_BYTES) break;
    out += char;
  }
  return out;
}

const integer = (ms: number): number => Math.max(0, Math.floor(ms));

/** An open, configured connection; see {@link openSession}. */
export class PgSession {
  /** `PostgreSQL user@host:port/db`. */
  readonly label: string;
  private identity: { readonly database: string; readonly schema: string | undefined; readonly pid: number } = { database: '', schema: undefined, pid: 0 };
  private deadReason: string | undefined;
  private closing = false;
  private transaction = false;

  constructor(
    private readonly client: pg.Client,
    readonly scrub: Scrub,
    private readonly sessionTimeoutMs: number,
  ) {
    this.label = `PostgreSQL ${client.user ?? ''}@${client.host}:${client.port}/${client.database ?? ''}`;
    // Without a listener an idle connection killed by the server would crash the process.
    client.on('error', (error) => this.markDead(error.message));
    client.on('end', () => this.markDead('the server closed the connection'));
  }

  /** current_database() at open. */
  get database(): string {
    return this.identity.database;
  }

  /** current_schema() at open: where the metadata tables live; `undefined` when search_path names no schema. */
  get schema(): string | undefined {
    return this.identity.schema;
  }

  /** pg_backend_pid() at open. */
  get backendPid(): number {
    return this.identity.pid;
  }

  /** Reads the database, schema and backend pid of the session (once, at open). */
  async identify(): Promise<void> {
    const { rows } = await this.query<{ database: string; schema: string | null; pid: number }>(
      'SELECT current_database() AS database, current_schema() AS schema, pg_backend_pid() AS pid');
    const row = rows[0];
    this.identity = { database: row?.database ?? '', schema: row?.schema ?? undefined, pid: row?.pid ?? 0 };
  }

  /** Whether the connection died (killed, network, server restart). */
  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  /** Whether a transaction is open (BEGIN sent and not yet ended): the heartbeat must not join it. */
  get inTransaction(): boolean {
    return this.transaction;
  }

  /** `"schema"."name"`: metadata tables stay where they were made even if a migration changes search_path. */
  table(name: string): string {
    const table = pg.escapeIdentifier(name);
    return this.schema === undefined ? table : `${pg.escapeIdentifier(this.schema)}.${table}`;
  }

  /** Runs `text`: the simple query protocol without `values` (several statements allowed), else extended. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: Params): Promise<pg.QueryResult<R>> {
    if (this.deadReason !== undefined) throw connectionLost(this.label, this.deadReason);
    const running = values === undefined ? this.client.query<R>(text) : this.client.query<R>(text, [...values]);
    return running.catch((error: unknown) => this.failed(error));
  }

  /** Runs `COPY ... FROM STDIN` with its data (copy.ts): the rows copied. */
  async copy(sql: string, data: string | AsyncIterable<string>): Promise<number> {
    if (this.deadReason !== undefined) throw connectionLost(this.label, this.deadReason);
    return copyFrom(this.client, sql, data).catch((error: unknown) => this.failed(error));
  }

  /** Runs `text` with rows as arrays: duplicate column names (`SELECT 1, 1`) keep every value. */
  async queryArrays(text: string): Promise<ReadonlyArray<pg.QueryArrayResult>> {
    if (this.deadReason !== undefined) throw connectionLost(this.label, this.deadReason);
    // Several statements in one simple query return one result each.
    const result: unknown = await this.client.query({ text, rowMode: 'array' }).catch((error: unknown) => this.failed(error));
    return (Array.isArray(result) ? result : [result]) as pg.QueryArrayResult[];
  }

  /**
   * Runs `sql` with its own statement_timeout: SET LOCAL inside a transaction (it ends with the
   * transaction, and an aborted transaction cannot run a reset), else SET and reset afterwards.
   * Returns what `work` returned (`query(sql)`: an array of results for several statements).
   */
  async runWithTimeout<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
    const limit = Math.max(1, integer(timeoutMs));
    if (this.transaction) {
      await this.query(`SET LOCAL statement_timeout = ${limit}`);
      const result = await work();
      await this.query(`SET LOCAL statement_timeout = ${this.sessionTimeoutMs}`);
      return result;
    }
    await this.query(`SET statement_timeout = ${limit}`);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.query(`SET statement_timeout = ${this.sessionTimeoutMs}`).catch(() => undefined);
      throw error;
    }
    await this.query(`SET statement_timeout = ${this.sessionTimeoutMs}`);
    return result;
  }

  async begin(): Promise<void> {
    this.transaction = true;
    try {
      await this.query('BEGIN');
    } catch (error) {
      this.transaction = false;
      throw error;
    }
  }

  async commit(): Promise<void> {
    try {
      const result = await this.query('COMMIT');
      // COMMIT of a transaction aborted by an earlier error succeeds with the tag ROLLBACK.
      if (result.command === 'ROLLBACK') throw new Error('PostgreSQL rolled the transaction back instead of committing it: an earlier statement in it had failed');
    } finally {
      this.transaction = false;
    }
  }

  /**
   * Sends `statements` and COMMIT as one simple query: one round trip. A failed statement stops the
   * rest, COMMIT included, and leaves the transaction open (aborted) for the caller's rollback.
   */
  async commitWith(statements: string): Promise<void> {
    let results: unknown;
    try {
      results = await this.query(`${statements};\nCOMMIT`);
    } finally {
      const status = this.client.getTransactionStatus();
      this.transaction = status === 'T' || status === 'E';
    }
    const last = (Array.isArray(results) ? results.at(-1) : results) as pg.QueryResult | undefined;
    if (last?.command !== 'COMMIT') throw new Error('PostgreSQL rolled the transaction back instead of committing it: an earlier statement in it had failed');
  }

  /** No-op without an open transaction (also one a statement opened with its own BEGIN). */
  async rollback(): Promise<void> {
    const status = this.client.getTransactionStatus();
    if (!this.transaction && (status === 'I' || status === null)) return;
    try {
      await this.query('ROLLBACK');
    } finally {
      this.transaction = false;
    }
  }

  /** Runs `work` atomically: in its own transaction, or in a savepoint of the one already open. */
  async atomically<T>(work: () => Promise<T>): Promise<T> {
    const nested = this.transaction;
    if (nested) await this.query('SAVEPOINT migrator_atomic');
    else await this.begin();
    try {
      const result = await work();
      if (nested) await this.query('RELEASE SAVEPOINT migrator_atomic');
      else await this.commit();
      return result;
    } catch (error) {
      if (nested) await this.query('ROLLBACK TO SAVEPOINT migrator_atomic').catch(() => undefined);
      else await this.rollback().catch(() => undefined);
      throw error;
    }
  }

  /** Ends the connection. Never throws, never hangs on a dead socket. */
  async close(): Promise<void> {
    this.closing = true;
    const ended = this.client.end().catch(() => undefined);
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Rethrows a query's error, marking the session dead first when the error says the connection is gone. */
  private failed(error: unknown): never {
    // The killed query's own error (57P01) arrives before the socket closes: lockLost() must say so now.
    if (isConnectionError(error)) this.markDead(error instanceof Error ? error.message : String(error));
    throw error;
  }

  private markDead(reason: string): void {
    if (this.closing || this.deadReason !== undefined) return;
    this.deadReason = this.scrub(reason);
  }
}

function createClient(options: ServerDriverOptions): pg.Client {
  try {
    const client = new pg.Client({
      connectionString: options.url,
      application_name: truncateName(options.applicationName),
      connectionTimeoutMillis: integer(options.connectTimeoutMs ?? 10_000),
      keepAlive: true,
    });
    // A configured password (file, command, variable) wins over the URL's. It cannot go in the
    // constructor: node-postgres merges the parsed connection string over explicit options, so the
    // URL's absent password would win. Without either, node-postgres reads ~/.pgpass (or PGPASSFILE).
    if (options.password !== undefined) client.password = options.password;
    return client;
  } catch (error) {
    // Parse errors of the URL can quote it (Node's TypeError carries it in `input`): say nothing of it.
    throw new MigratorError('E_CONFIG', `the PostgreSQL URL cannot be parsed (${error instanceof Error ? error.name : 'error'})`, {
      hint: 'Use postgres://user:password@host:5432/database; percent-encode special characters in the password.',
    });
  }
}

function settings(options: ServerDriverOptions, sessionTimeoutMs: number): string {
  return [
    // DDL must not queue behind production traffic (and make that traffic queue behind it).
    `SET lock_timeout = ${integer(options.ddlLockTimeoutMs)}`,
    `SET statement_timeout = ${sessionTimeoutMs}`,
    // A migration may sit in a transaction between statements (verify, journaling): never cut it.
    'SET idle_in_transaction_session_timeout = 0',
    ...(options.readOnly ? ['SET default_transaction_read_only = on'] : []),
  ].join('; ');
}

/**
 * Connects and applies the session settings. Throws E_CONFIG for a URL that cannot be parsed,
 * E_CONNECT (naming host:port/db and user, never the URL) when the connection or a setting fails.
 */
export async function openSession(options: ServerDriverOptions): Promise<PgSession> {
  const client = createClient(options);
  const scrub = createScrub(options.url, typeof client.password === 'string' ? client.password : undefined);
  const target = `${client.host}:${client.port}/${client.database ?? ''} as ${client.user ?? ''}`;
  const sessionTimeoutMs = integer(options.statementTimeoutMs ?? 0);
  const session = new PgSession(client, scrub, sessionTimeoutMs);
  try {
    await client.connect();
    await client.query(settings(options, sessionTimeoutMs));
    await session.identify();
  } catch (error) {
    await session.close();
    throw connectError(target, error, scrub);
  }
  return session;
}
