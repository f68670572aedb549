/**
 * The MySQL / MariaDB driver: one dedicated mysql2 connection per run, translating the `Driver`
 * port. It decides nothing: polling, retries and the journal of non-transactional DDL live in the
 * core. MySQL commits every DDL statement implicitly, so `transactionalDdl` is false.
 */
import type { Capabilities, Driver, ExecuteOptions, ExecuteResult, ServerDriverOptions } from '../../core/ports.js';
import type { HistoryRow, Statement } from '../../core/model.js';
import { mysqlSyntax } from './syntax.js';
import { parseMysqlUrl } from './url.js';
import { guardPrivileges } from '../shared/privileged.js';
import { openSession } from './session.js';
import { isOk, type MysqlSession, type RunResult, type SqlValue } from './session.js';
import { describeMysqlError } from './errors.js';
import { createAdvisoryLock } from './advisory.js';
import { createLease, heartbeatOpener } from './lease.js';
import type { RunLock } from './lock.js';
import { appendAudit, nextSeq, prepareMetadata, readAuditHead, readState, writeHistory } from './metadata.js';
import { readAudit } from './audit-read.js';
import { schemaFingerprint, schemaSnapshot } from './fingerprint.js';
import { diagnoseMysql } from './diagnose.js';
import { recoveryPoint } from './recovery.js';
import { readRecordedSchema, recordSchema } from './schema-record.js';
import { clearCheckpoints, readCheckpoints, saveCheckpoint } from './progress.js';

/**
 * Connects to the database the URL names (`mysql://user:password@host:3306/db`, also
 * `mariadb://`) and configures the session: lock_wait_timeout and innodb_lock_wait_timeout from
 * `ddlLockTimeoutMs` (whole seconds, at least 1), the statement timeout when set (MariaDB
 * max_statement_time; MySQL 8 max_execution_time, which bounds SELECTs only), and READ ONLY
 * transactions for read-only sessions, whose write methods (tryLock, prepareMetadata, begin,
 * writeHistory, appendAudit) also reject with a plain Error. The server's sql_mode is left alone.
 *
 * `capabilities.statementTimeout` is true on MariaDB only, where the limit bounds DDL too.
 * The connection never reconnects: once lost, every call rejects with E_CONNECT.
 *
 * @throws MigratorError E_CONFIG when the URL is malformed or names no user or database.
 * @throws MigratorError E_CONNECT when the server cannot be reached or refuses the login; the
 *   message names `host:port/db` and the user, never the URL or the password.
 */
export async function openMysql(options: ServerDriverOptions): Promise<Driver> {
  const parsed = parseMysqlUrl(options.url);
  // A configured password (file, command, variable) wins over the URL's.
  const target = options.password === undefined ? parsed : { ...parsed, password: options.password };
  const session = await openSession(target, options);
  const lock = options.lockStrategy === 'table'
    ? createLease(session, options.leaseMs ?? 60_000, heartbeatOpener(target, options))
    : createAdvisoryLock(session, target.database);
  return createMysqlDriver(session, lock, options);
}

// ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR,
// ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_PROCACCESS_DENIED_ERROR.
const DENIED = new Set([1142, 1143, 1044, 1227, 1370]);

function createMysqlDriver(session: MysqlSession, lock: RunLock, options: ServerDriverOptions): Driver {
  // auditAppendWithoutLock: readAuditHead is a locking read, which sees the newest committed row
  // from inside a REPEATABLE READ transaction too.
  const capabilities: Capabilities = Object.freeze({ transactionalDdl: false, statementTimeout: session.flavour === 'mariadb', auditAppendWithoutLock: true });
  const label = session.label;
  const privileged = guardPrivileges(label, (error) => DENIED.has((error as { errno?: number }).errno ?? -1),
    'Run this command as a user with the privileges docs/security.md lists for it (CREATE, SELECT, INSERT, UPDATE and TRIGGER on the database for the metadata tables), or grant them.');
  const writable = (operation: string): void => {
    if (options.readOnly) throw new Error(`${session.label} is open read-only: ${operation} is not allowed in this session`);
  };
  // The SQL last sent for the core: describeError finds the spot a syntax error points at in it.
  let lastSql: string | undefined;
  // While this session holds the run lock nobody else writes history: the seq of its next write is
  // counted here, read once, saving a round trip per write. Forgotten when the lock changes hands.
  let holding = false;
  let seq: number | undefined;
  const record = async (row: HistoryRow): Promise<void> => {
    if (!holding) return writeHistory(session, row);
    const next = seq ?? await nextSeq(session);
    seq = next + 1;
    await writeHistory(session, row, next);
  };
  return {
    label: session.label,
    capabilities,
    syntax: mysqlSyntax,
    dialect: 'mysql',
    parameterStyle: 'question',
    async tryLock(owner) {
      writable('tryLock');
      const attempt = await privileged('taking the migration lock', () => lock.tryLock(owner));
      holding = attempt.acquired;
      seq = undefined;
      return attempt;
    },
    assertLock: () => lock.assertHeld(),
    async unlock() {
      holding = false;
      seq = undefined;
      await lock.release();
    },
    inspectLock: () => privileged('reading the migration lock', () => lock.inspect()),
    async breakLock(expected, owner) {
      writable('breakLock');
      holding = await privileged('taking over the migration lock', () => lock.takeOver(expected, owner));
      seq = undefined;
      return holding;
    },
    readState: () => privileged('reading migrator_history', () => readState(session)),
    async prepareMetadata(format) {
      writable('prepareMetadata');
      return privileged('creating the metadata tables', () => prepareMetadata(session, format));
    },
    readAuditHead: () => readAuditHead(session, !options.readOnly),
    readAudit: (filter) => privileged('reading migrator_audit', () => readAudit(session, filter)),
    async begin() {
      writable('begin');
      await session.begin();
    },
    async commit() {
      await session.run('COMMIT');
    },
    async rollback() {
      // A lost connection took its transaction with it; ROLLBACK without one is a no-op on MySQL.
      if (!session.dead) await session.run('ROLLBACK');
    },
    async execute(statement, executeOptions) {
      lastSql = statement.sql;
      return execute(session, statement, executeOptions, options.statementTimeoutMs);
    },
    async query(sql, params) {
      lastSql = sql;
      // With parameters a prepared statement (the server binds them); without, the text protocol,
      // which also runs the DDL a prepared statement cannot.
      const [result] = await session.run(sql, params.length === 0 ? undefined : (params as ReadonlyArray<SqlValue>));
      if (Array.isArray(result)) return { rows: (result as Record<string, unknown>[]).map((row) => ({ ...row })), rowCount: undefined };
      return { rows: [], rowCount: isOk(result) ? result.affectedRows : undefined };
    },
    async queryValue(sql) {
      lastSql = sql;
      return session.value(sql);
    },
    async writeHistory(row) {
      writable('writeHistory');
      // Fencing and the row share one transaction (the core's, else its own): under the table
      // strategy the row commits only while the lease is still this run's. Unfenced (GET_LOCK),
      // the row's own statement commits it.
      await privileged('writing migrator_history', () => (lock.fences() ? session.transaction(async () => {
        await lock.fence();
        await record(row);
      }) : record(row)));
    },
    async commitStep(row, audit) {
      writable('commitStep');
      // In the step's transaction, with no savepoints: the lease's UPDATE keeps its row lock until
      // COMMIT, and a failed audit INSERT undoes only itself. No multi-statement messages (the
      // connection refuses them, so a file's text can never smuggle a second statement): four calls.
      return privileged('recording the migration in migrator_history and migrator_audit', async () => {
        await lock.assertHeld();
        await record(row);
        if (!(await appendAudit(session, audit))) return false;
        await session.run('COMMIT');
        return true;
      });
    },
    async appendAudit(entry) {
      writable('appendAudit');
      return privileged('writing migrator_audit', () => appendAudit(session, entry));
    },
    readCheckpoints: (version) => privileged('reading migrator_progress', () => readCheckpoints(session, version)),
    async saveCheckpoint(checkpoint) {
      writable('saveCheckpoint');
      // As writeHistory: the fence and the row share the batch's transaction.
      await privileged('writing migrator_progress', () => session.transaction(async () => {
        await lock.fence();
        await saveCheckpoint(session, checkpoint);
      }));
    },
    async clearCheckpoints(version) {
      writable('clearCheckpoints');
      await privileged('writing migrator_progress', () => clearCheckpoints(session, version));
    },
    describeError: (error) => describeMysqlError(error, lastSql),
    lockLost: () => lock.lost(),
    async leftovers() {
      // MySQL 8's DDL is atomic per statement; MariaDB has no query that lists what a failed one
      // left behind. Nothing to report either way.
      return [];
    },
    schemaFingerprint: (scope) => schemaFingerprint(session, scope),
    schemaSnapshot: () => schemaSnapshot(session),
    diagnose: () => diagnoseMysql(session, options.lockStrategy),
    recoveryPoint: () => recoveryPoint(session),
    async identity() {
      return String(await session.value("SELECT CONCAT(@@hostname, ':', @@port, ' ', COALESCE(DATABASE(), ''))"));
    },
    readRecordedSchema: () => privileged('reading migrator_meta', () => readRecordedSchema(session)),
    async recordSchema(record) {
      writable('recordSchema');
      // As writeHistory: the fence and the row share one transaction (the core's, else its own).
      await privileged('writing migrator_meta', () => session.transaction(async () => {
        await lock.fence();
        await recordSchema(session, record);
      }));
    },
    async close() {
      await lock.stop();
      await session.close();
    },
  };
}

/**
 * Runs a statement over the text protocol (prepared statements cannot run most DDL, nor CREATE
 * PROCEDURE ... BEGIN ... END), with the file's timeout when it set one.
 */
async function execute(session: MysqlSession, statement: Statement, options: ExecuteOptions | undefined, sessionTimeoutMs: number | undefined): Promise<ExecuteResult> {
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs === undefined || timeoutMs <= 0) {
    return affected(await session.run(statement.sql));
  } else if (session.flavour === 'mariadb') {
    // A prefix on the same line: the server's "at line N" still counts lines of the statement.
    return affected(await session.run(`SET STATEMENT max_statement_time=${timeoutMs / 1000} FOR ${statement.sql}`));
  } else {
    // MySQL 8 has no SET STATEMENT, and max_execution_time bounds only SELECTs: set, run, restore.
    await session.run(`SET SESSION max_execution_time = ${Math.ceil(timeoutMs)}`);
    try {
      return affected(await session.run(statement.sql));
    } finally {
      if (!session.dead) await session.run(`SET SESSION max_execution_time = ${Math.ceil(sessionTimeoutMs ?? 0)}`);
    }
  }
}

/**
 * Rows written: the OK packet's affectedRows (mysql2 sets CLIENT_FOUND_ROWS, so an UPDATE counts
 * the rows it matched); a CALL returns its result sets followed by one. A SELECT's rows are not counted.
 */
function affected([result]: RunResult): ExecuteResult {
  const packets: ReadonlyArray<unknown> = Array.isArray(result) ? result : [result];
  const rows = packets.reduce<number>((sum, packet) => sum + (isOk(packet) ? packet.affectedRows : 0), 0);
  return { rows };
}
