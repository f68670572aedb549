/**
 * The port every engine driver implements. Drivers translate; they do not decide: ordering,
 * locking policy (polling, backoff, timeouts), journaling and error reporting live in the core.
 * One `Driver` is one dedicated connection for one run; it never silently reconnects.
 */
import type { AuditEntry, HistoryRow, Statement } from './model.js';
import type { LockHolderInfo } from './events.js';
import type { SqlSyntax } from './source/syntax.js';

/** How a server driver (PostgreSQL, MySQL) is asked to connect. */
export interface ServerDriverOptions {
  /** The connection URL, password included: never echo it (redact with the host's redactor). */
  readonly url: string;
  /** The password from the configuration (a file, a command, a variable); it wins over the URL's. */
  readonly password?: string | undefined;
  /** Read-only session (dry runs, status, validate): creates nothing, writes nothing. */
  readonly readOnly: boolean;
  /** `advisory`: the engine's session lock (pg_try_advisory_lock, GET_LOCK). `table`: a lease row in migrator_lock. */
  readonly lockStrategy: 'advisory' | 'table';
  /** How long one DDL statement may wait for a table lock (PostgreSQL lock_timeout, MySQL lock_wait_timeout). */
  readonly ddlLockTimeoutMs: number;
  /** Per-statement time limit for the whole session, `undefined` for none. */
  readonly statementTimeoutMs: number | undefined;
  /** Shown to the server (application_name, connect attributes) so operators see who holds the lock. */
  readonly applicationName: string;
  /** Lease length for the `table` strategy (default 60 s); the heartbeat renews it every third. */
  readonly leaseMs?: number | undefined;
  /** How long to wait for the connection (default 10 s). */
  readonly connectTimeoutMs?: number | undefined;
}

/** What the engine can do. The core asks these, never an engine's name. */
export interface Capabilities {
  /** DDL takes part in transactions (PostgreSQL, SQLite), so a migration commits whole or not at all. */
  readonly transactionalDdl: boolean;
  /** The engine can bound one statement's run time (`-- migrate:timeout`). */
  readonly statementTimeout: boolean;
}

/** Who is taking the lock, recorded where the engine can hold it (lease rows, lock names). */
export interface LockOwner {
  readonly runId: string;
  readonly host: string;
  readonly pid: number;
  readonly actor: string;
}

export type LockAttempt =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly holder: LockHolderInfo | undefined };

/** What `readState` found. */
export interface MetadataState {
  /** Format of the metadata tables, `undefined` when they do not exist yet. */
  readonly format: number | undefined;
  /** History rows ordered by applied time, [] when the tables do not exist. */
  readonly rows: ReadonlyArray<HistoryRow>;
}

/** An audit row as stored: the entry plus its place in the hash chain. */
export interface ChainedAuditEntry extends AuditEntry {
  readonly prevHash: string;
  readonly hash: string;
}

/** How the core should treat a failed statement. */
export type EngineErrorKind =
  /** Failed only because a lock was not granted in time (PostgreSQL lock_timeout, MySQL lock_wait_timeout): retryable. */
  | 'lock_timeout'
  /** The connection is gone (killed, network, server restart): the outcome of the statement is unknown. */
  | 'connection_lost'
  | 'other';

/** A driver's translation of an error its client raised, with nothing secret in it. */
export interface EngineErrorInfo {
  /** The server's message. */
  readonly message: string;
  /** SQLSTATE, errno or client code, when there is one. */
  readonly code: string | undefined;
  /** 1-based position in the statement the server pointed at, counted in characters (code points), when it did. */
  readonly position: number | undefined;
  readonly kind: EngineErrorKind;
  /** Extra lines from the server (PostgreSQL DETAIL/HINT), when given. */
  readonly detail?: string | undefined;
}

export interface ExecuteOptions {
  /** Statement timeout for this statement, when the file set `-- migrate:timeout`. */
  readonly timeoutMs?: number | undefined;
}

export interface Driver {
  /** Label used in messages, e.g. `SQLite /path/app.db` (never with a password). */
  readonly label: string;
  readonly capabilities: Capabilities;
  readonly syntax: SqlSyntax;

  /**
   * Tries once to take the run-wide lock and returns at once; the core polls with backoff.
   * Taking a lock this session already holds succeeds.
   */
  tryLock(owner: LockOwner): Promise<LockAttempt>;
  /**
   * Throws `MigratorError(E_LOCK_LOST)` unless this session still holds the lock. Called inside each
   * migration's transaction just before it commits, so a lost lock fails closed.
   */
  assertLock(): Promise<void>;
  /** Releases the lock; throws if the engine says it was not held. Safe to call when never taken. */
  unlock(): Promise<void>;

  /** Reads the metadata format and history. Never creates anything; absent tables read as empty. */
  readState(): Promise<MetadataState>;
  /** Creates the metadata tables or upgrades them to `format`. Idempotent. Called under the lock. */
  prepareMetadata(format: number): Promise<{ readonly created: boolean }>;
  /** Hash of the newest audit row, or `''` when the audit log is empty. */
  readAuditHead(): Promise<string>;

  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Runs one statement. Errors are thrown as the client raised them; the core wraps them. */
  execute(statement: Statement, options?: ExecuteOptions): Promise<void>;
  /** Runs a query and returns the first column of the first row (verify checks), `undefined` if no row. */
  queryValue(sql: string): Promise<unknown>;

  /** Inserts or replaces the history row of `row.version`. */
  writeHistory(row: HistoryRow): Promise<void>;
  /** Appends one audit row. The table rejects UPDATE and DELETE. */
  appendAudit(entry: ChainedAuditEntry): Promise<void>;

  /** Translates an error thrown by `execute` or `queryValue`. Never throws. */
  describeError(error: unknown): EngineErrorInfo;
  /**
   * Cheap and local (no round trip): `true` once the driver knows its lock is gone, e.g. a lease
   * its heartbeat failed to renew. The core checks it before every statement and stops.
   */
  lockLost(): boolean;
  /**
   * After a statement outside a transaction failed: objects it may have left behind that an operator
   * must deal with before retrying (PostgreSQL: INVALID indexes of a failed CREATE INDEX CONCURRENTLY).
   * Each entry is one human sentence. `[]` when there is nothing to report or the engine cannot tell.
   */
  leftovers(): Promise<ReadonlyArray<string>>;

  /**
   * A digest of the application schema this session sees (tables, columns, indexes and their
   * validity, constraints, views, routines, triggers, types), migrator's own tables excluded. Equal
   * digests mean no DDL took effect in between: after a crash, `up --resume` compares it with the
   * one recorded before the statement in flight to learn whether that statement completed.
   */
  schemaFingerprint(): Promise<string>;
  /**
   * The same schema as sorted, normalised lines, one per object (`snapshotDigest` of them is the
   * fingerprint): what drift checks and rehearsals diff.
   */
  schemaSnapshot(): Promise<ReadonlyArray<string>>;

  /** Closes the connection. Never throws. */
  close(): Promise<void>;
}
