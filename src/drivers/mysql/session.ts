/**
 * The one dedicated mysql2 connection of a run, and the session settings migrator relies on. It
 * never reconnects: once the server or the network drops it, every call rejects with E_CONNECT,
 * because a new connection would silently lose the session's GET_LOCK and transaction.
 */
import mysql from 'mysql2/promise';
import type { Connection, FieldPacket, ResultSetHeader } from 'mysql2/promise';
import { MigratorError } from '../../core/errors.js';
import type { ServerDriverOptions } from '../../core/ports.js';
import { describeTarget } from './url.js';
import type { MysqlTarget } from './url.js';

/** Which server answered: the two differ in their statement-timeout variable. */
export type Flavour = 'mariadb' | 'mysql';

/** A value bound to a prepared statement. */
export type SqlValue = string | number | null;

/** What a statement returns: rows, an OK packet, or several of those (CALL), and the fields. */
export type RunResult = readonly [unknown, FieldPacket[] | FieldPacket[][] | undefined];

// SERVER_STATUS_IN_TRANS of the OK packet: the server's own word on whether a transaction is open.
const IN_TRANSACTION = 1;

export function isOk(value: unknown): value is ResultSetHeader {
  return typeof value === 'object' && value !== null && 'serverStatus' in value && 'affectedRows' in value;
}

/** One connection, see {@link openSession}. */
export class MysqlSession {
  /** Whether a transaction is open, from the last OK packet (so DDL's implicit commit is seen). */
  inTransaction = false;
  private lostReason: string | undefined;

  constructor(
    private readonly connection: Connection,
    readonly label: string,
    readonly flavour: Flavour,
  ) {
    // Without an 'error' listener, a connection dropped while idle would crash the process.
    connection.on('error', (error: Error) => this.markDead(error.message));
    connection.on('end', () => this.markDead('the server closed the connection'));
  }

  /** Whether the connection is gone; nothing is sent on a dead session. */
  get dead(): boolean {
    return this.lostReason !== undefined;
  }

  /** The error every call on a dead session rejects with. */
  lostError(): MigratorError {
    return new MigratorError('E_CONNECT', `the connection to ${this.label} was lost (${this.lostReason ?? 'closed'}); migrator never reconnects within a run`, {
      hint: 'The outcome of the statement in flight is unknown: check "migrate status" and the database, then run again.',
    });
  }

  /**
   * Runs one statement. With `values`, as a prepared statement: the server binds them, so no
   * escaping depends on the server's sql_mode (mysql2 escapes client-side as if NO_BACKSLASH_ESCAPES
   * were off). Without, over the text protocol: DDL, CREATE TRIGGER and CALL cannot be prepared.
   */
  async run(sql: string, values?: ReadonlyArray<SqlValue>, rowsAsArray = false): Promise<RunResult> {
    if (this.lostReason !== undefined) throw this.lostError();
    try {
      const [result, fields] = values === undefined
        ? await this.connection.query({ sql, rowsAsArray })
        : await this.connection.execute({ sql, rowsAsArray }, [...values]);
      this.track(result);
      return [result, fields];
    } catch (error) {
      if ((error as { fatal?: unknown }).fatal === true) this.markDead((error as Error).message);
      throw error;
    }
  }

  /** Rows as objects (one prepared or plain statement). */
  async rows<T>(sql: string, values?: ReadonlyArray<SqlValue>): Promise<T[]> {
    const [result] = await this.run(sql, values);
    return Array.isArray(result) ? (result as T[]).map((row) => ({ ...row })) : [];
  }

  /** First column of the first row, `undefined` without one. */
  async value(sql: string, values?: ReadonlyArray<SqlValue>): Promise<unknown> {
    const [result, fields] = await this.run(sql, values, true);
    // A CALL returns several result sets (fields nested per set): the first one is the answer.
    const rows: unknown = Array.isArray(fields?.[0]) && Array.isArray(result) ? result[0] : result;
    return Array.isArray(rows) ? (rows[0] as unknown[] | undefined)?.[0] : undefined;
  }

  /** The first column of every row. */
  async column(sql: string, values?: ReadonlyArray<SqlValue>): Promise<unknown[]> {
    const [result] = await this.run(sql, values, true);
    return Array.isArray(result) ? (result as unknown[][]).map((row) => row[0]) : [];
  }

  /** Rows changed or matched (CLIENT_FOUND_ROWS is on: an UPDATE to equal values still counts). */
  async affected(sql: string, values?: ReadonlyArray<SqlValue>): Promise<number> {
    const [result] = await this.run(sql, values);
    return isOk(result) ? result.affectedRows : 0;
  }

  /** START TRANSACTION. The flag is set first, so a heartbeat firing meanwhile stays out. */
  async begin(): Promise<void> {
    this.inTransaction = true;
    await this.run('START TRANSACTION');
  }

  /**
   * Runs `fn` in a transaction: the open one (joined), else its own, committed after `fn` and
   * rolled back when `fn` throws.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn();
    await this.begin();
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      if (!this.dead) await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Closes the connection; never throws. */
  async close(): Promise<void> {
    this.markDead('closed by migrator');
    try {
      await this.connection.end();
    } catch {
      // end() fails on a connection the server already dropped: destroy() releases the socket.
      this.connection.destroy();
    }
  }

  private track(result: unknown): void {
    const last: unknown = Array.isArray(result) && result.length > 0 && isOk(result[result.length - 1]) ? result[result.length - 1] : result;
    if (isOk(last)) this.inTransaction = (last.serverStatus & IN_TRANSACTION) !== 0;
  }

  private markDead(reason: string): void {
    this.lostReason ??= reason;
  }
}

function connectHint(target: MysqlTarget, error: { code?: unknown; errno?: unknown }, timeoutMs: number): string {
  const where = target.socketPath ?? `${target.host}:${target.port}`;
  switch (error.code) {
    case 'ECONNREFUSED': return `nothing accepts connections at ${where}: is the server running, and are the host and port right?`;
    case 'ETIMEDOUT': return `no answer from ${where} within ${timeoutMs / 1000}s: check the host, the port and any firewall in between`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the host name ${target.host} does not resolve: check the URL`;
    case 'ER_ACCESS_DENIED_ERROR': return `check the user name and the password for ${target.user}`;
    case 'ER_DBACCESS_DENIED_ERROR': return `grant ${target.user} access to database ${target.database}, or use another database`;
    case 'ER_BAD_DB_ERROR': return `database ${target.database} does not exist: create it first (CREATE DATABASE \`${target.database}\`)`;
    default: return 'check the URL, and that the server accepts connections from this host';
  }
}

/** The client's reason, with the password masked should a message ever echo it. */
function reasonOf(error: unknown, target: MysqlTarget): string {
  const reason = error instanceof Error ? error.message : String(error);
  return target.password ? reason.split(target.password).join('***') : reason;
}

/** The flavour and session settings, applied right after connecting. */
async function configure(connection: Connection, options: ServerDriverOptions): Promise<Flavour> {
  const [rows] = await connection.query({ sql: 'SELECT VERSION()', rowsAsArray: true });
  const version = String((rows as unknown[][])[0]?.[0] ?? '');
  const flavour: Flavour = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  // lock_wait_timeout bounds metadata locks (an ALTER waiting behind a long transaction would
  // otherwise queue every later query on that table behind itself); innodb_ for row locks.
  const wait = Math.max(1, Math.ceil(options.ddlLockTimeoutMs / 1000));
  await connection.query(`SET SESSION lock_wait_timeout = ${wait}, innodb_lock_wait_timeout = ${wait}`);
  const timeoutMs = options.statementTimeoutMs;
  if (timeoutMs !== undefined && timeoutMs > 0) {
    // MariaDB: max_statement_time, seconds, every statement (DDL included). MySQL 8:
    // max_execution_time, milliseconds, read-only SELECTs only.
    await connection.query(flavour === 'mariadb'
      ? `SET SESSION max_statement_time = ${timeoutMs / 1000}`
      : `SET SESSION max_execution_time = ${Math.ceil(timeoutMs)}`);
  }
  if (options.readOnly) await connection.query('SET SESSION TRANSACTION READ ONLY');
  return flavour;
}

/**
 * Connects to `target` and configures the session (lock waits, statement timeout, read-only).
 *
 * @throws MigratorError E_CONNECT naming `user@host:port/db` and the client's reason, never the
 *   URL or the password.
 */
export async function openSession(target: MysqlTarget, options: ServerDriverOptions): Promise<MysqlSession> {
  const label = `MySQL ${describeTarget(target)}`;
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  let connection: Connection | undefined;
  try {
    connection = await mysql.createConnection({
      host: target.host, port: target.port, user: target.user, database: target.database,
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.ssl === undefined ? {} : { ssl: { ...target.ssl } }),
      ...(target.socketPath === undefined ? {} : { socketPath: target.socketPath }),
      connectTimeout,
      multipleStatements: false,
      dateStrings: true,
      // Integers up to 2^53 come back as numbers, larger ones as exact strings.
      supportBigNumbers: true,
      bigNumberStrings: false,
      // FOUND_ROWS (mysql2's default too): the lease's UPDATEs count matched rows, not changed ones.
      // -IGNORE_SPACE: mysql2 sets CLIENT_IGNORE_SPACE by default, which quietly adds IGNORE_SPACE to
      // the session's sql_mode: "CREATE TABLE count (n int)" then fails, and every routine, trigger
      // and view is stored with a sql_mode the server's own client would not have used.
      flags: ['FOUND_ROWS', '-IGNORE_SPACE'],
      connectAttributes: { program_name: options.applicationName },
    });
    const flavour = await configure(connection, options);
    return new MysqlSession(connection, label, flavour);
  } catch (error) {
    connection?.destroy();
    throw new MigratorError('E_CONNECT', `cannot connect to MySQL at ${describeTarget(target).replace(/^[^@]*@/, '')} as ${target.user}: ${reasonOf(error, target)}`, {
      hint: connectHint(target, error as { code?: unknown }, connectTimeout),
      cause: error,
    });
  }
}
