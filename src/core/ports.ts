/**
 * The port every engine driver implements. Drivers translate; they do not decide: ordering,
 * locking policy (polling, backoff, timeouts), journaling and error reporting live in the core.
 * One `Driver` is one dedicated connection for one run; it never silently reconnects.
 */
import type { AuditEntry, HistoryRow, Statement } from './model.js';
import type { LockHolderInfo } from './events.js';
import type { SqlSyntax } from './source/syntax.js';
import type { Dialect, ParameterStyle, QueryResult } from './scripted.js';

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
  /**
   * A session that does not hold the run lock may append an audit row (a lock timeout) without
   * harming the holder: the holder's open transaction sees that row (read committed, locking reads,
   * or one writer at a time), so its own next append re-chains after it instead of failing.
   * Absent means no.
   */
  readonly auditAppendWithoutLock?: boolean;
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

/**
 * The application schema as migrator last left it (docs/drift.md): what `migrate verify` and
 * `validate` compare the live schema with. One record per database, replaced by each run that
 * changed the schema (up, down), by baseline, by a repair that changed something and by
 * `verify --accept`.
 */
export interface RecordedSchema {
  /** `snapshotDigest(lines)`. */
  readonly fingerprint: string;
  /** What `schemaSnapshot()` returned then. */
  readonly lines: ReadonlyArray<string>;
  /** When it was recorded, ISO-8601 UTC. */
  readonly at: string;
  /** The run that recorded it. */
  readonly runId: string;
  /** The current version after that run, `null` when none was applied. */
  readonly version: string | null;
  /** The migrator that recorded it: another release may read a schema into other lines. */
  readonly toolVersion: string;
}

/**
 * Where a `ctx.batch` backfill got to (a row of migrator_progress, docs/batches.md): written in
 * the same transaction as the batch it counts, so after a crash it names exactly the last batch
 * that committed.
 */
export interface BatchCheckpoint {
  /** The migration's id. */
  readonly version: string;
  /** The batch job's name, unique within its migration. */
  readonly name: string;
  /** The table and key column the job pages by, as its options gave them: a resume must use the same. */
  readonly table: string;
  readonly key: string;
  /** The last key processed, encoded by core/batch.ts (`encodeKey`). */
  readonly lastKey: string;
  /** Rows processed so far, over every run of this job. */
  readonly rows: number;
  /** Batches committed so far. */
  readonly batches: number;
  /** The run that wrote this checkpoint. */
  readonly runId: string;
  /** ISO-8601 UTC. */
  readonly updatedAt: string;
  /** ISO-8601 UTC once the job has processed its last row; `null` while it runs. */
  readonly finishedAt: string | null;
}

/**
 * What one DDL statement changes, as core/run/ddl-scope.ts reads it: tables and views by name,
 * routines by name, and the triggers of tables. Names as written, unquoted, in the current schema.
 */
export interface DdlScope {
  readonly tables: ReadonlyArray<string>;
  readonly routines: ReadonlyArray<string>;
  readonly triggersOf: ReadonlyArray<string>;
}

/** An audit row as stored: the entry plus its place in the hash chain. */
export interface ChainedAuditEntry extends AuditEntry {
  readonly prevHash: string;
  readonly hash: string;
}

/** An audit row as `readAudit` returns it: the stored entry and the id the engine gave it. */
export interface StoredAuditEntry extends ChainedAuditEntry {
  readonly id: number;
}

/** Which audit rows `readAudit` returns; every given field narrows the result. */
export interface AuditFilter {
  /** Rows whose `at` is at or after this ISO-8601 UTC time (`2026-01-02T03:04:05.000Z`). */
  readonly since?: string | undefined;
  /** Rows naming this version as `version`, `fromVersion` or `toVersion`. */
  readonly version?: string | undefined;
  /** Rows of this actor, exactly. */
  readonly actor?: string | undefined;
  /** Rows with an id above this one: paging through the table. */
  readonly afterId?: number | undefined;
  /** At most this many rows (a positive integer); all when absent. */
  readonly limit?: number | undefined;
  /** With `limit`: the newest `limit` rows instead of the oldest (still returned in id order). */
  readonly newest?: boolean | undefined;
}

/** A point in the database's history a restore can return to (see `Driver.recoveryPoint`). */
export interface RecoveryPoint {
  readonly kind: 'wal_lsn' | 'binlog' | 'backup_file' | 'none';
  /** The LSN (`0/16B3748`), binlog position (`mysql-bin.000042:1337`), or backup file path; `null` for `none`. */
  readonly value: string | null;
  /** One sentence for people: what it is, or why there is none. */
  readonly detail: string;
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

/** What `Driver.execute` reports about a statement that succeeded. */
export interface ExecuteResult {
  /**
   * Rows the statement inserted, updated or deleted, as the engine counts them (PostgreSQL's
   * command tag, MySQL's affected rows, SQLite's change counter), summed over the statements of a
   * multi-statement string. 0 for DDL and reads; `undefined` when the engine cannot tell.
   */
  readonly rows: number | undefined;
}

/** A lease row (`lock.strategy: table`, always on SQLite) as `inspectLock` read it. */
export interface LeaseState {
  readonly runId: string;
  /** The fencing generation, as decimal text (a bigint on some engines). */
  readonly generation: string;
  /** ISO-8601 UTC, `undefined` when the row has none. */
  readonly heartbeatAt: string | undefined;
  readonly expiresAt: string | undefined;
  /** `expires_at` has passed by the clock the lease runs on (the server's; the local one on SQLite). */
  readonly expired: boolean;
  /**
   * The holder's process as seen from here: `alive` or `gone` when it ran in this pid namespace
   * (the row's pid scope is this process's) and `kill(pid, 0)` could answer; `unknown` when it ran
   * elsewhere, or the engine's lease records no pid scope.
   */
  readonly process: 'alive' | 'gone' | 'unknown';
  /**
   * The holder's own database connection (the one its statements run on), where the lease records
   * it (PostgreSQL, MySQL); absent where the engine has no server sessions (SQLite).
   */
  readonly connection?: LeaseConnection | undefined;
}

/**
 * A lease holder's database connection as this session sees it. `busy`: still connected and
 * running a statement (or, on PostgreSQL, inside a transaction): the holder is at work, or its
 * process died while the server still executes its last statement; either way that statement is
 * still changing the database. `idle`: connected, waiting for its client. `closed`: the server no
 * longer has it. `unknown`: it cannot be told from here (the lease records no connection, another
 * server node, details this user may not see, a proxy between client and server). Behind a
 * pooling proxy only `busy` is meaningful: the recorded server connection is shared.
 */
export interface LeaseConnection {
  readonly status: 'busy' | 'idle' | 'closed' | 'unknown';
  /** The server session, when it is connected (`busy` or `idle`): its id and the statement that ends it. */
  readonly session?: LockSession | undefined;
}

/** A server session (PostgreSQL backend, MySQL connection): an advisory lock's holder, or a lease holder's connection. */
export interface LockSession {
  /** PostgreSQL backend pid, MySQL connection id. */
  readonly id: number;
  readonly applicationName?: string | undefined;
  /** Client address (and port where the engine gives it). */
  readonly client?: string | undefined;
  /** When the session connected, ISO-8601 UTC. */
  readonly connectedAt?: string | undefined;
  /** What the session is doing (`active`, `idle`, `Sleep`, ...), as the engine says it. */
  readonly state?: string | undefined;
  /** The statement an operator runs, as a privileged user, to end that session (which frees an advisory lock). */
  readonly terminate: string;
}

/**
 * What `inspectLock` found. `resource` names the lock for people (`migrator_lock row 1`, the
 * advisory key or lock name). An advisory lock belongs to its server session: no other session can
 * release it (`releasable: false`); it ends with that session, so it is never stale.
 */
export type LockInspection =
  | { readonly strategy: 'advisory' | 'lease'; readonly resource: string; readonly state: 'free' }
  | { readonly strategy: 'lease'; readonly resource: string; readonly state: 'held'; readonly holder: LockHolderInfo; readonly lease: LeaseState; readonly releasable: true }
  | { readonly strategy: 'advisory'; readonly resource: string; readonly state: 'held'; readonly holder: LockHolderInfo; readonly session: LockSession; readonly releasable: false; readonly reason: string };

/** The lease `breakLock` may take over: exactly the one `inspectLock` reported. */
export interface LeaseClaim {
  readonly runId: string;
  readonly generation: string;
  /** Only while it is still expired by the engine's clock: a holder that renewed it meanwhile keeps it. */
  readonly onlyIfExpired: boolean;
}

/** Which commands need a privilege: `read` (status, validate, dry runs) or `migrate` (up, down, repair, baseline). */
export type PrivilegeUse = 'read' | 'migrate';

/** One privilege migrator itself needs, as the engine reports it for the session's user. */
export interface PrivilegeCheck {
  /** What is needed on what: `CREATE on schema app`, `INSERT, UPDATE on app.migrator_history`, `write /srv/app.db`. */
  readonly privilege: string;
  readonly neededFor: PrivilegeUse;
  /** `true` granted, `false` missing, `undefined` when the engine cannot tell (`detail` says why). */
  readonly ok: boolean | undefined;
  /** What was found and why it is needed: `missing INSERT: each run records its migrations there`. */
  readonly detail: string;
  /** How to grant it (a GRANT statement, a chmod), when it is missing. */
  readonly fix?: string | undefined;
}

/** Size of the database and room left where it lives; each field `undefined` when not knowable. */
export interface StorageFacts {
  /** Bytes the database takes (SQLite: the file; servers: what the server reports to this user). */
  readonly databaseBytes: number | undefined;
  /** The server's data directory or the SQLite file's directory, when this process can see it. */
  readonly path: string | undefined;
  /** Bytes available to unprivileged writers on the file system of `path`, and its size. */
  readonly freeBytes: number | undefined;
  readonly totalBytes: number | undefined;
  /** Why free space is unknown: a remote server, a data directory this user may not see, ... */
  readonly unknownReason?: string | undefined;
}

/** What `Driver.diagnose` found: plain facts; the core's doctor judges them. */
export interface Diagnosis {
  /** Engine and version: `PostgreSQL 15.4`, `MariaDB 10.11.6`, `SQLite 3.45.1`. */
  readonly server: string;
  /** Who the session is: the database user (`app_migrator`), the OS user on SQLite. */
  readonly user: string;
  /** What migrator itself needs; what the migrations' own SQL needs cannot be known in advance. */
  readonly privileges: ReadonlyArray<PrivilegeCheck>;
  readonly storage: StorageFacts;
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
  /**
   * Who holds the run lock of the configured strategy, read without taking anything and without
   * creating anything (works on read-only sessions). `state: 'free'` when nobody holds it, also
   * when the lock's table does not exist. Called by `migrate unlock`.
   */
  inspectLock(): Promise<LockInspection>;
  /**
   * Breaks a stale lease by taking it over for `owner`, in one atomic compare-and-swap: only when
   * the row still carries `expected.runId` and `expected.generation` (and, with `onlyIfExpired`,
   * is still expired). The generation is incremented, so the old holder's fenced writes fail with
   * E_LOCK_LOST. Returns `true` when taken over: this session then holds the lock as after `tryLock`
   * (write under it, then `unlock`). Returns `false`, changing nothing, when the row changed since
   * it was inspected, or when its holder is writing it right now (its transaction locks the row).
   *
   * @throws MigratorError E_NOT_SUPPORTED under the `advisory` strategy: a session lock cannot be
   *   released from another session (see `LockInspection`).
   */
  breakLock(expected: LeaseClaim, owner: LockOwner): Promise<boolean>;

  /** Reads the metadata format and history. Never creates anything; absent tables read as empty. */
  readState(): Promise<MetadataState>;
  /** Creates the metadata tables or upgrades them to `format`. Idempotent. Called under the lock. */
  prepareMetadata(format: number): Promise<{ readonly created: boolean }>;
  /**
   * Hash of the newest audit row, or `''` when the audit log is empty. Sees rows other sessions
   * committed after this session's open transaction began, where the engine allows it (the retry
   * of a conflicting append depends on it).
   */
  readAuditHead(): Promise<string>;
  /**
   * Audit rows matching `filter`, in id order; `[]` when the audit table does not exist. Never
   * creates anything; works on read-only sessions and takes no lock. `migrate audit` lists them;
   * `audit verify` pages through all of them with `afterId` and `limit`.
   */
  readAudit(filter: AuditFilter): Promise<ReadonlyArray<StoredAuditEntry>>;

  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /**
   * Runs one statement and reports the rows it changed. Errors are thrown as the client raised
   * them; the core wraps them.
   */
  execute(statement: Statement, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** Runs a query and returns the first column of the first row (verify checks), `undefined` if no row. */
  queryValue(sql: string): Promise<unknown>;
  /** Engine family, given to scripted migrations as `ctx.dialect` (they may branch on it; the core does not). */
  readonly dialect: Dialect;
  /** How `query` expects parameters to be spelled in its text. */
  readonly parameterStyle: ParameterStyle;
  /**
   * Runs one statement for a scripted migration (`ctx.sql`, `ctx.query`) and returns its rows and
   * the rows it changed. With `params`, the values are bound by the client or server (extended
   * protocol, prepared statement), never spliced into the text; with none, the text goes as it is
   * (so DDL that cannot be prepared still runs). Errors are thrown as the client raised them; the
   * core wraps them (`describeError`).
   */
  query(sql: string, params: ReadonlyArray<unknown>): Promise<QueryResult>;

  /** Inserts or replaces the history row of `row.version`. */
  writeHistory(row: HistoryRow): Promise<void>;
  /**
   * Ends a step's transaction (opened with `begin`): writes `row` as `writeHistory` does, appends
   * `audit` as `appendAudit` does, checks the lock as `assertLock` does, and commits, in as few
   * round trips as the engine's protocol allows (one on PostgreSQL): the per-migration cost over
   * running the SQL by hand (docs/performance.md). Returns `true` once committed. Returns `false`
   * when the audit append found a row chained after `audit.prevHash` already (see `appendAudit`):
   * the transaction is then still open, with the history row written and no audit row, for the
   * core to re-chain, `assertLock` and `commit`. Any other failure throws, the transaction left for
   * the core to roll back; a lost lock throws E_LOCK_LOST before anything commits.
   */
  commitStep(row: HistoryRow, audit: ChainedAuditEntry): Promise<boolean>;

  /**
   * The `ctx.batch` checkpoints of migration `version`, by name; `[]` when there are none or the
   * table does not exist. Never creates anything.
   */
  readCheckpoints(version: string): Promise<ReadonlyArray<BatchCheckpoint>>;
  /**
   * Inserts or replaces the checkpoint of (`version`, `name`). Called inside the batch's own
   * transaction (the core's `begin`), fenced like `writeHistory`, so the batch and its checkpoint
   * commit together or not at all.
   */
  saveCheckpoint(checkpoint: BatchCheckpoint): Promise<void>;
  /** Deletes every checkpoint of migration `version` (it finished, or starts afresh). */
  clearCheckpoints(version: string): Promise<void>;
  /**
   * Appends one audit row, only as the successor of `entry.prevHash`: `false`, appending nothing,
   * when a row chained after it exists already (another session appended first; the metadata
   * format 2 keeps prev_hash unique). The core then reads the head again and re-chains. A row
   * another session holds uncommitted with the same prev_hash makes this wait for that session,
   * up to the engine's lock wait. The table rejects UPDATE and DELETE.
   */
  appendAudit(entry: ChainedAuditEntry): Promise<boolean>;

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
   * With `scope`, a driver may digest only those objects (same scope, same digest, and it changes
   * whenever a statement of that scope takes effect): a round trip that does not grow with the
   * schema. Without it, or where the engine has no cheaper way, the whole schema.
   */
  schemaFingerprint(scope?: DdlScope): Promise<string>;
  /**
   * The same schema as sorted, normalised lines, one per object (`snapshotDigest` of them is the
   * fingerprint): what drift checks and rehearsals diff.
   */
  schemaSnapshot(): Promise<ReadonlyArray<string>>;

  /**
   * Where to restore to if this run must be undone by a restore: PostgreSQL's current WAL LSN,
   * MySQL's binary log position (and GTID), or, with `makeCopy` on an engine without a log
   * position (SQLite), a backup copy of the database made now. Called under the lock, before the
   * first migration. What cannot be known is `kind: 'none'` with the reason; only a copy asked for
   * with `makeCopy` that cannot be written throws (E_BACKUP_FAILED), before anything has run.
   */
  recoveryPoint(options: { readonly makeCopy: boolean }): Promise<RecoveryPoint>;

  /**
   * Names the database this session works on, equal for two sessions on the same one however they
   * were addressed (`localhost` or `127.0.0.1`, another search_path, a relative or absolute path):
   * the server instance plus the database (not the schema: a migration may name any schema of its
   * database), or the file's real path. Used to refuse a scratch database that is the real one.
   */
  identity(): Promise<string>;

  /**
   * The snapshot `recordSchema` stored last, `undefined` when the metadata tables or the record do
   * not exist. Never creates anything; works in read-only sessions.
   * @throws MigratorError E_METADATA_VERSION when the stored record is unreadable.
   */
  readRecordedSchema(): Promise<RecordedSchema | undefined>;
  /**
   * Replaces the stored snapshot (in migrator_meta, encoded by core/metadata.ts). Called under the
   * lock, after `prepareMetadata`; fenced like `writeHistory`, and inside the core's transaction
   * when one is open.
   */
  recordSchema(record: RecordedSchema): Promise<void>;

  /**
   * Facts for `migrate doctor` and the pre-flight of protected environments: the server version,
   * the privileges migrator needs for reading and for migrating as the engine grants them to this
   * session's user, the database size and free disk space where knowable. Reads only: works on a
   * read-only session, creates and writes nothing, takes no lock. A fact the engine will not give
   * this user is reported as unknown, never thrown; rejects only when the connection fails.
   */
  diagnose(): Promise<Diagnosis>;

  /** Closes the connection. Never throws. */
  close(): Promise<void>;
}
