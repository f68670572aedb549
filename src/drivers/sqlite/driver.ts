/**
 * The SQLite driver: one better-sqlite3 connection per run, translating the `Driver` port. It
 * decides nothing: polling, timeouts and journaling live in the core.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Capabilities, Driver } from '../../core/ports.js';
import { MigratorError } from '../../core/errors.js';
import { sqliteSyntax } from './syntax.js';
import { createLease } from './lease.js';
import type { Lease } from './lease.js';
import { appendAudit, prepareMetadata, readAuditHead, readState, writeHistory } from './metadata.js';
import { readAudit } from './audit-read.js';
import { schemaFingerprint, schemaSnapshot } from './fingerprint.js';
import { diagnoseSqlite } from './diagnose.js';
import { recoveryPoint } from './recovery.js';
import { readRecordedSchema, recordSchema } from './schema-record.js';
import { clearCheckpoints, readCheckpoints, saveCheckpoint } from './progress.js';

/** How to open a SQLite database, see {@link openSqlite}. */
export interface SqliteOpenOptions {
  /** File path, or `:memory:`. */
  readonly path: string;
  /** Never create or write anything (`--dry-run`, `status`). */
  readonly readOnly: boolean;
  /** How long a statement waits for another connection's lock before SQLITE_BUSY. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** How long the run lock's lease lives without a heartbeat. Default 60000. */
  readonly leaseMs?: number;
}

// auditAppendWithoutLock: one writer at a time, and a write transaction (BEGIN IMMEDIATE) starts
// from the newest commit, so the lock holder always reads the real head.
const CAPABILITIES: Capabilities = Object.freeze({ transactionalDdl: true, statementTimeout: false, auditAppendWithoutLock: true });

/**
 * Opens a SQLite database for one run. Read-write mode creates the file when missing. Read-only
 * mode never creates the file: a missing one reads as an empty database, and every write method
 * (tryLock, prepareMetadata, begin, writeHistory, appendAudit) rejects with a plain Error.
 * The user's journal_mode is left as it is.
 *
 * @throws MigratorError E_CONNECT when the file cannot be opened or is not a SQLite database
 *   (for instance its directory does not exist).
 */
export async function openSqlite(options: SqliteOpenOptions): Promise<Driver> {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  const db = connect(options, busyTimeoutMs);
  return createSqliteDriver(db, options, createLease(db, options.leaseMs ?? 60_000, busyTimeoutMs));
}

function connect(options: SqliteOpenOptions, busyTimeoutMs: number): Database.Database {
  // An in-memory database cannot be opened read-only, and a read-only session must not create a
  // missing file (--dry-run): both read as an empty in-memory database that refuses writes.
  const absent = options.readOnly && (options.path === ':memory:' || !existsSync(options.path));
  let db: Database.Database | undefined;
  try {
    db = absent
      ? new Database(':memory:', { timeout: busyTimeoutMs })
      : new Database(options.path, { readonly: options.readOnly, fileMustExist: options.readOnly, timeout: busyTimeoutMs });
    if (absent) db.pragma('query_only = ON');
    // Opening is lazy: only the first read tells a file that is not a database (SQLITE_NOTADB).
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db?.close();
    throw connectError(options.path, error);
  }
}

function connectError(file: string, error: unknown): MigratorError {
  const reason = error instanceof Error ? error.message : String(error);
  const directory = path.dirname(path.resolve(file));
  const hint = existsSync(directory)
    ? `check that ${file} is a SQLite database and that you may read it (and write it, unless read-only)`
    : `the directory ${directory} does not exist: create it, or fix the database path`;
  return new MigratorError('E_CONNECT', `cannot open SQLite database ${file}: ${reason}`, { hint, cause: error });
}

/**
 * Runs a metadata write, turning SQLITE_READONLY (a file or directory this user may not write) into
 * E_PRIVILEGE (exit 9). The migrations' own statements are not wrapped: there it is a failed migration.
 */
function privileged<T>(label: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_READONLY')) throw error;
    throw new MigratorError('E_PRIVILEGE', `${label}: cannot write the database: ${(error as Error).message}`, {
      hint: 'This user may not write the file (or its directory, where SQLite keeps its journal): fix the permissions, or run as the file\'s owner.',
    });
  }
}

function createSqliteDriver(db: Database.Database, options: SqliteOpenOptions, lease: Lease): Driver {
  const label = `SQLite ${options.path}`;
  const writable = (operation: string): void => {
    if (options.readOnly) throw new Error(`${label} is open read-only: ${operation} is not allowed in this session`);
  };
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  return {
    label,
    capabilities: CAPABILITIES,
    syntax: sqliteSyntax,
    dialect: 'sqlite',
    parameterStyle: 'question',
    async tryLock(owner) {
      writable('tryLock');
      return privileged(label, () => lease.tryLock(owner));
    },
    async assertLock() {
      lease.assertHeld();
    },
    async unlock() {
      lease.release();
    },
    async inspectLock() {
      return lease.inspect();
    },
    async breakLock(expected, owner) {
      writable('breakLock');
      return privileged(label, () => lease.takeOver(expected, owner));
    },
    async readState() {
      return readState(db);
    },
    async prepareMetadata(format) {
      writable('prepareMetadata');
      return privileged(label, () => prepareMetadata(db, format));
    },
    async readAuditHead() {
      return readAuditHead(db);
    },
    async readAudit(filter) {
      return readAudit(db, filter);
    },
    async begin() {
      writable('begin');
      // IMMEDIATE takes the write lock now: a deferred BEGIN would fail with SQLITE_BUSY at the first
      // write instead of waiting for busy_timeout.
      db.exec('BEGIN IMMEDIATE');
    },
    async commit() {
      db.exec('COMMIT');
    },
    async rollback() {
      // SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR, ...): ROLLBACK then fails.
      if (db.inTransaction) db.exec('ROLLBACK');
    },
    async execute(statement) {
      // total_changes(), not changes(): changes() keeps the count of the last INSERT/UPDATE/DELETE
      // through DDL, and db.exec may run several statements. It counts trigger writes too.
      const before = totalChanges.get() as number;
      db.exec(statement.sql);
      return { rows: (totalChanges.get() as number) - before };
    },
    async query(sql, params) {
      const statement = db.prepare(sql);
      // better-sqlite3 binds numbers, strings, bigints, buffers and null; SQLite has no boolean.
      const values = params.map((value) => (typeof value === 'boolean' ? Number(value) : value));
      if (statement.reader) return { rows: statement.all(...values) as Record<string, unknown>[], rowCount: undefined };
      return { rows: [], rowCount: statement.run(...values).changes };
    },
    async queryValue(sql) {
      const statement = db.prepare(sql);
      if (!statement.reader) {
        statement.run();
        return undefined;
      }
      const row = statement.raw().get() as unknown[] | undefined;
      return row?.[0];
    },
    async writeHistory(row) {
      writable('writeHistory');
      // Fencing: while this session holds the lease, a history write commits only if the lease is
      // still ours (a savepoint inside the core's transaction, else its own BEGIN IMMEDIATE).
      db.transaction(() => {
        if (lease.held) lease.assertHeld();
        writeHistory(db, row);
      }).immediate();
    },
    async commitStep(row, audit) {
      writable('commitStep');
      // Inside the step's BEGIN IMMEDIATE, which holds the write lock: no savepoints needed.
      return privileged(label, () => {
        lease.assertHeld();
        writeHistory(db, row);
        if (!appendAudit(db, audit)) return false;
        db.exec('COMMIT');
        return true;
      });
    },
    async appendAudit(entry) {
      writable('appendAudit');
      return appendAudit(db, entry);
    },
    async readCheckpoints(version) {
      return readCheckpoints(db, version);
    },
    async saveCheckpoint(checkpoint) {
      writable('saveCheckpoint');
      // Fenced as writeHistory is; inside the batch's transaction, a savepoint.
      privileged(label, () => db.transaction(() => {
        if (lease.held) lease.assertHeld();
        saveCheckpoint(db, checkpoint);
      }).immediate());
    },
    async clearCheckpoints(version) {
      writable('clearCheckpoints');
      privileged(label, () => clearCheckpoints(db, version));
    },
    describeError(error) {
      const code = (error as { code?: unknown }).code;
      return {
        message: error instanceof Error ? error.message : String(error),
        code: typeof code === 'string' ? code : undefined,
        // SQLite reports no position; SQLITE_BUSY cannot happen mid-migration under BEGIN IMMEDIATE.
        position: undefined,
        kind: 'other',
      };
    },
    lockLost() {
      return lease.lost;
    },
    async leftovers() {
      // Every SQLite statement is atomic: a failed one leaves nothing half-built behind.
      return [];
    },
    async schemaFingerprint() {
      return schemaFingerprint(db);
    },
    async schemaSnapshot() {
      return schemaSnapshot(db);
    },
    diagnose: () => diagnoseSqlite(db, options.path),
    recoveryPoint: ({ makeCopy }) => recoveryPoint(db, options.path, makeCopy, new Date()),
    async identity() {
      // An in-memory database is only ever itself; a file is its real path (links resolved), also
      // before it exists (a read-only session does not create it).
      if (options.path === ':memory:') return `:memory: ${Math.random()}`;
      if (existsSync(options.path)) return realpathSync(options.path);
      const directory = path.dirname(path.resolve(options.path));
      return path.join(existsSync(directory) ? realpathSync(directory) : directory, path.basename(options.path));
    },
    async readRecordedSchema() {
      return readRecordedSchema(db);
    },
    async recordSchema(record) {
      writable('recordSchema');
      // Fenced as writeHistory is: the row commits only while the lease is still this run's.
      privileged(label, () => db.transaction(() => {
        if (lease.held) lease.assertHeld();
        recordSchema(db, record);
      }).immediate());
    },
    async close() {
      lease.stop();
      try {
        db.close();
      } catch {
        // close() never throws (port contract); an unclosable handle is released by process exit.
      }
    },
  };
}
