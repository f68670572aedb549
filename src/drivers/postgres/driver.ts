/**
 * The PostgreSQL driver: one dedicated node-postgres connection per run, translating the `Driver`
 * port. It decides nothing: polling, retries, timeouts and journaling live in the core.
 */
import type pg from 'pg';
import type { Capabilities, Driver, ServerDriverOptions } from '../../core/ports.js';
import { MigratorError } from '../../core/errors.js';
import { postgresSyntax } from './syntax.js';
import { describePgError, sqlState } from './errors.js';
import { appendAudit, commitStep, prepareMetadata, readAuditHead, readState, writeHistory } from './metadata.js';
import { readAudit, readCommitted } from './audit-read.js';
import { createAdvisoryLock, transactionPoolingError } from './advisory.js';
import { createLease, heartbeatOpener } from './lease.js';
import type { RunLock } from './run-lock.js';
import { openSession } from './session.js';
import { guardPrivileges } from '../shared/privileged.js';
import type { Params, PgSession } from './session.js';
import { schemaFingerprint, schemaSnapshot } from './fingerprint.js';
import { diagnosePostgres } from './diagnose.js';
import { recoveryPoint } from './recovery.js';
import { readRecordedSchema, recordSchema } from './schema-record.js';
import { clearCheckpoints, readCheckpoints, saveCheckpoint } from './progress.js';

export { advisoryKey, transactionPoolingError } from './advisory.js';

const CAPABILITIES: Capabilities = Object.freeze({ transactionalDdl: true, statementTimeout: true });

/**
 * Opens a PostgreSQL session for one run (called by drivers/registry.ts). Sets lock_timeout to
 * `ddlLockTimeoutMs`, statement_timeout to `statementTimeoutMs` (0 = none) and
 * idle_in_transaction_session_timeout to 0. A read-only session also sets
 * default_transaction_read_only: it reads the state, and its write methods (tryLock,
 * prepareMetadata, begin, writeHistory, appendAudit) reject with a plain Error. The metadata tables
 * live in the session's current_schema(). The driver never reconnects: once the connection is lost,
 * every call rejects with E_CONNECT.
 *
 * @throws MigratorError E_CONFIG when the URL cannot be parsed, when the `advisory` strategy runs
 *   through a transaction-pooling proxy (PgBouncer), or when a writable session has no current schema.
 * @throws MigratorError E_CONNECT when the server cannot be reached or refuses the login; the message
 *   names host:port/database and user, never the URL or password.
 */
export async function openPostgres(options: ServerDriverOptions): Promise<Driver> {
  const session = await openSession(options);
  try {
    await checkSession(session, options);
  } catch (error) {
    await session.close();
    throw error;
  }
  const lock = options.lockStrategy === 'advisory'
    ? createAdvisoryLock(session, options.applicationName)
    : createLease(session, options.leaseMs ?? 60_000, heartbeatOpener(options));
  const capabilities = Object.freeze({ ...CAPABILITIES, auditAppendWithoutLock: await readCommitted(session) });
  return createPostgresDriver(session, lock, options.readOnly, options.lockStrategy, capabilities);
}

async function checkSession(session: PgSession, options: ServerDriverOptions): Promise<void> {
  if (options.readOnly) return;
  if (session.schema === undefined) {
    throw new MigratorError('E_CONFIG', `${session.label} has no current schema for the metadata tables: no schema named in search_path exists`, {
      hint: 'Create the schema, or set search_path for this user (ALTER ROLE ... SET search_path) or in the URL (?options=-csearch_path%3Dapp).',
    });
  }
  if (options.lockStrategy !== 'advisory') return;
  // Two implicit transactions: a transaction-pooling proxy may serve each from another backend.
  const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const problem = transactionPoolingError(session.backendPid, rows[0]?.pid ?? session.backendPid);
  if (problem) throw problem;
}

function createPostgresDriver(session: PgSession, lock: RunLock, readOnly: boolean, lockStrategy: ServerDriverOptions['lockStrategy'], capabilities: Capabilities): Driver {
  const label = session.label;
  // 42501 insufficient_privilege.
  const privileged = guardPrivileges(label, (error) => sqlState(error) === '42501',
    'Run this command as a user with the privileges docs/security.md lists for it (the metadata tables need CREATE on the schema, then SELECT/INSERT/UPDATE on migrator_*), or grant them.');
  const writable = (operation: string): void => {
    if (readOnly) throw new Error(`${label} is open read-only: ${operation} is not allowed in this session`);
  };
  return {
    label,
    capabilities,
    syntax: postgresSyntax,
    dialect: 'postgres',
    parameterStyle: 'dollar',
    async tryLock(owner) {
      writable('tryLock');
      return privileged('taking the migration lock', () => lock.tryLock(owner));
    },
    assertLock: () => lock.assertHeld(),
    unlock: () => lock.release(),
    inspectLock: () => privileged('reading the migration lock', () => lock.inspect()),
    async breakLock(expected, owner) {
      writable('breakLock');
      return privileged('taking over the migration lock', () => lock.takeOver(expected, owner));
    },
    readState: () => privileged('reading migrator_history', () => readState(session)),
    async prepareMetadata(format) {
      writable('prepareMetadata');
      return privileged('creating the metadata tables', () => prepareMetadata(session, format));
    },
    readAuditHead: () => readAuditHead(session),
    readAudit: (filter) => privileged('reading migrator_audit', () => readAudit(session, filter)),
    async begin() {
      writable('begin');
      await session.begin();
    },
    commit: () => session.commit(),
    rollback: () => session.rollback(),
    async execute(statement, options) {
      // No parameters: the simple query protocol, which accepts DO blocks and several statements.
      const { copyData } = statement;
      // COPY ... FROM stdin: its data goes as COPY data, streamed when the file is.
      const run = copyData === undefined ? async () => changedRows(await session.query(statement.sql)) : () => session.copy(statement.sql, copyData);
      return { rows: options?.timeoutMs === undefined ? await run() : await session.runWithTimeout(run, options.timeoutMs) };
    },
    async query(sql, params) {
      // Without parameters the simple protocol (DDL, several statements: the last result answers);
      // with them the extended protocol, where the server binds them.
      const result: unknown = await session.query(sql, params.length === 0 ? undefined : (params as Params));
      const last = (Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult | undefined;
      return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? undefined };
    },
    async queryValue(sql) {
      const results = await session.queryArrays(sql);
      // Of several statements, the last one that returned rows answers (as psql shows it).
      const answer = results.filter((result) => result.fields.length > 0).at(-1);
      return answer?.rows[0]?.[0];
    },
    async writeHistory(row) {
      writable('writeHistory');
      await privileged('writing migrator_history', () => lock.fenced(() => writeHistory(session, row)));
    },
    async commitStep(row, audit) {
      writable('commitStep');
      return privileged('recording the migration in migrator_history and migrator_audit', () => commitStep(session, row, audit, lock.checkStatement()));
    },
    async appendAudit(entry) {
      writable('appendAudit');
      return privileged('writing migrator_audit', () => appendAudit(session, entry));
    },
    readCheckpoints: (version) => privileged('reading migrator_progress', () => readCheckpoints(session, version)),
    async saveCheckpoint(checkpoint) {
      writable('saveCheckpoint');
      await privileged('writing migrator_progress', () => lock.fenced(() => saveCheckpoint(session, checkpoint)));
    },
    async clearCheckpoints(version) {
      writable('clearCheckpoints');
      await privileged('writing migrator_progress', () => clearCheckpoints(session, version));
    },
    describeError: (error) => describePgError(error, session.dead, session.scrub),
    lockLost: () => session.dead || lock.lost,
    leftovers: () => invalidIndexes(session),
    schemaFingerprint: () => schemaFingerprint(session),
    schemaSnapshot: () => schemaSnapshot(session),
    diagnose: () => diagnosePostgres(session, lockStrategy),
    recoveryPoint: () => recoveryPoint(session),
    async identity() {
      const { rows } = await session.query<{ id: string }>(`SELECT pg_postmaster_start_time()::text || ' ' || current_setting('port') || ' ' || current_database() AS id`);
      return rows[0]?.id ?? '';
    },
    readRecordedSchema: () => privileged('reading migrator_meta', () => readRecordedSchema(session)),
    async recordSchema(record) {
      writable('recordSchema');
      await privileged('writing migrator_meta', () => lock.fenced(() => recordSchema(session, record)));
    },
    async close() {
      await lock.stop();
      await session.close();
    },
  };
}

/** INVALID indexes of the current schema: what a failed CREATE INDEX CONCURRENTLY leaves behind. */
async function invalidIndexes(session: PgSession): Promise<ReadonlyArray<string>> {
  if (session.schema === undefined) return [];
  const { rows } = await session.query<{ index: string; table: string }>(`SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS index,
      quote_ident(t.relname) AS table
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT i.indisvalid AND n.nspname = $1 ORDER BY c.relname`, [session.schema]);
  return rows.map((row) => `index ${row.index} on ${row.table} is INVALID, left by a failed CREATE INDEX CONCURRENTLY: drop it with DROP INDEX CONCURRENTLY ${row.index} before running the migration again`);
}

/**
 * Rows written, from the command tags: several statements in one simple query give one result
 * each. A SELECT's count is rows read (CREATE TABLE AS reports its tag as SELECT too): not counted.
 */
function changedRows(result: pg.QueryResult | ReadonlyArray<pg.QueryResult>): number {
  const results: ReadonlyArray<pg.QueryResult> = Array.isArray(result) ? result : [result as pg.QueryResult];
  return results.reduce((sum, each) => sum + (each.command === 'SELECT' ? 0 : (each.rowCount ?? 0)), 0);
}
