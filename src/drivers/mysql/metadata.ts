/**
 * The metadata tables of the MySQL driver (DESIGN.md section 5): the same tables and columns as the
 * SQLite driver, in the connection's database. MySQL commits DDL implicitly, so preparing them
 * cannot be one transaction: every step is idempotent instead, and the format row is written last.
 */
import type { ChainedAuditEntry, MetadataState } from '../../core/ports.js';
import type { HistoryRow } from '../../core/model.js';
import { MigratorError } from '../../core/errors.js';
import type { MysqlSession, SqlValue } from './session.js';
import { widenMetaValue } from './schema-record.js';
import { AUDIT_CHAIN_INDEX, AUDIT_COLUMNS, HISTORY_COLUMNS, HISTORY_SEQ_INDEX, TABLES, chainIndexPrivilegeError, forkedChainError, parseFormat } from '../../core/metadata.js';

export { TABLES };

/** Names of the metadata tables. The one place to change when the prefix becomes configurable. */
// utf8mb4_bin: values compare byte for byte, so `R__Views` and `R__views` are two migrations (the
// servers' default collations ignore case). Both MySQL 8 and MariaDB know it.
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * The lease table (`table` strategy, row 1) which also names the holder of the GET_LOCK lock
 * (`advisory` strategy, row 2: only MySQL's own lock excludes; the row only says who holds it).
 */
export const LOCK_DDL = `CREATE TABLE IF NOT EXISTS ${TABLES.lock} (
  id TINYINT NOT NULL PRIMARY KEY, run_id VARCHAR(255) NULL, actor TEXT NULL, host TEXT NULL, pid BIGINT NULL,
  pid_scope TEXT NULL, acquired_at BIGINT NULL, heartbeat_at BIGINT NULL, expires_at BIGINT NULL,
  generation BIGINT NOT NULL DEFAULT 0, connection_id BIGINT NULL, connection_server TEXT NULL
) ${TABLE_OPTIONS}`;

// Strings are TEXT, not VARCHAR(n): a server without a strict sql_mode truncates an over-long
// VARCHAR silently. Timestamps are the core's ISO strings (a DATETIME would drop the 'Z' and, before
// DATETIME(3), the milliseconds). version is VARCHAR(191): 191 x 4 bytes fits any InnoDB index.
const VERSION_LENGTH = 191;
const DDL: ReadonlyArray<string> = [
  `CREATE TABLE IF NOT EXISTS ${TABLES.meta} (\`key\` VARCHAR(64) NOT NULL PRIMARY KEY, value LONGTEXT NOT NULL) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.history} (
    version VARCHAR(${VERSION_LENGTH}) NOT NULL PRIMARY KEY, description TEXT NOT NULL, kind TEXT NOT NULL, script TEXT NOT NULL,
    checksum TEXT NOT NULL, down_checksum TEXT NULL, state TEXT NOT NULL, batch BIGINT NOT NULL,
    statements_total BIGINT NOT NULL, statements_applied BIGINT NOT NULL, applied_hash TEXT NULL,
    applied_by TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms BIGINT NOT NULL, error MEDIUMTEXT NULL,
    run_id TEXT NOT NULL, tool_version TEXT NOT NULL,
    seq BIGINT NOT NULL COMMENT 'order of the last write: readState returns rows in applied order'
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.audit} (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
    host TEXT NOT NULL, environment TEXT NOT NULL, command TEXT NOT NULL, event TEXT NOT NULL,
    version TEXT NULL, from_version TEXT NULL, to_version TEXT NULL, checksum TEXT NULL, outcome TEXT NOT NULL,
    duration_ms BIGINT NULL, detail MEDIUMTEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    UNIQUE KEY ${AUDIT_CHAIN_INDEX} (prev_hash(64))
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.progress} (
    version VARCHAR(${VERSION_LENGTH}) NOT NULL, name VARCHAR(${VERSION_LENGTH}) NOT NULL, table_name TEXT NOT NULL, key_column TEXT NOT NULL, last_key TEXT NOT NULL,
    rows_done BIGINT NOT NULL, batches BIGINT NOT NULL, run_id TEXT NOT NULL, updated_at TEXT NOT NULL,
    finished_at TEXT NULL, PRIMARY KEY (version, name)
  ) ${TABLE_OPTIONS}`,
];

const quote = (column: string): string => `\`${column}\``;

/** Which of `tables` exist in the connection's database, without creating anything. */
export async function existingTables(session: MysqlSession, tables: ReadonlyArray<string>): Promise<Set<string>> {
  const names = await session.column(`SELECT TABLE_NAME FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => '?').join(', ')})`, tables);
  return new Set(names.map(String));
}

async function readFormat(session: MysqlSession, present: Set<string>): Promise<number | undefined> {
  if (!present.has(TABLES.meta)) return undefined;
  const value = await session.value(`SELECT value FROM ${TABLES.meta} WHERE \`key\` = 'format'`);
  return parseFormat(value);
}

/** Implements `Driver.readState`: never creates anything, absent tables read as empty. */
export async function readState(session: MysqlSession): Promise<MetadataState> {
  const present = await existingTables(session, [TABLES.meta, TABLES.history]);
  const format = await readFormat(session, present);
  if (!present.has(TABLES.history)) return { format, rows: [] };
  const select = Object.entries(HISTORY_COLUMNS).map(([field, column]) => `${quote(column)} AS ${quote(field)}`).join(', ');
  const rows = await session.rows<HistoryRow>(`SELECT ${select} FROM ${TABLES.history} ORDER BY seq`);
  return { format, rows };
}

/**
 * Implements `Driver.prepareMetadata`: creates what is missing, then records `format`. Each step is
 * idempotent, so a run that died half-way (or a racing creator) leaves nothing the next call
 * cannot finish. Throws E_METADATA_VERSION when the tables were written by a newer migrator.
 */
export async function prepareMetadata(session: MysqlSession, format: number): Promise<{ readonly created: boolean }> {
  const present = await existingTables(session, [TABLES.meta, TABLES.history]);
  const existing = await readFormat(session, present);
  if (existing !== undefined && existing > format) {
    throw new MigratorError('E_METADATA_VERSION', `the metadata tables have format ${existing}, newer than the ${format} this migrator understands`, {
      hint: 'upgrade migrator to the version that last migrated this database',
      details: { found: existing, supported: format },
    });
  }
  for (const ddl of DDL) await session.run(ddl);
  await widenMetaValue(session);
  await ensureTrigger(session, 'UPDATE');
  await ensureTrigger(session, 'DELETE');
  await ensureChainIndex(session);
  await ensureSeqIndex(session);
  if (existing !== format) {
    await session.run(`INSERT INTO ${TABLES.meta} (\`key\`, value) VALUES ('format', ?) ON DUPLICATE KEY UPDATE value = ?`, [String(format), String(format)]);
  }
  return { created: !present.has(TABLES.history) };
}

/**
 * The audit table's guard against `event` (UPDATE or DELETE). CREATE TRIGGER IF NOT EXISTS needs
 * MySQL 8.0.29, so the catalogue is asked first, and ER_TRG_ALREADY_EXISTS (1359) from a racing
 * creator counts as done.
 */
async function ensureTrigger(session: MysqlSession, event: 'UPDATE' | 'DELETE'): Promise<void> {
  const name = `${TABLES.audit}_no_${event.toLowerCase()}`;
  const exists = await session.value(`SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ?`, [name]);
  if (exists !== undefined) return;
  try {
    await session.run(`CREATE TRIGGER ${name} BEFORE ${event} ON ${TABLES.audit} FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${TABLES.audit} is append-only'`);
  } catch (error) {
    if ((error as { errno?: unknown }).errno === 1359) return;
    // 1142: no TRIGGER privilege. 1419: binary logging is on and the user lacks SUPER.
    throw new MigratorError('E_PRIVILEGE', `cannot create trigger ${name}, which keeps ${TABLES.audit} append-only: ${(error as Error).message}`, {
      hint: 'Grant TRIGGER on the database; with binary logging on, also SUPER, or set log_bin_trust_function_creators = 1.',
      cause: error,
    });
  }
}

/** Creates the index on history.seq where it is missing and this user may (see HISTORY_SEQ_INDEX). */
async function ensureSeqIndex(session: MysqlSession): Promise<void> {
  const exists = await session.value(`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1`, [TABLES.history, HISTORY_SEQ_INDEX]);
  if (exists !== undefined) return;
  try {
    await session.run(`CREATE INDEX ${HISTORY_SEQ_INDEX} ON ${TABLES.history} (seq)`);
  } catch (error) {
    // 1061: a racing creator made it. 1142: no INDEX privilege; runs go on without it.
    const errno = (error as { errno?: unknown }).errno;
    if (errno !== 1061 && errno !== 1142) throw error;
  }
}

/**
 * The unique index on prev_hash (format 2) of an audit table made by format 1 (a new table has it
 * from CREATE TABLE, which needs no INDEX privilege). prev_hash is TEXT, which InnoDB indexes only
 * by a prefix: 64 characters hold a whole sha256 hex digest. Rows that already share a prev_hash
 * (a fork) are refused with E_AUDIT_TAMPERED naming them; ER_DUP_KEYNAME (1061) from a racing
 * creator counts as done.
 */
async function ensureChainIndex(session: MysqlSession): Promise<void> {
  const exists = await session.value(`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1`, [TABLES.audit, AUDIT_CHAIN_INDEX]);
  if (exists !== undefined) return;
  const [fork] = await session.rows<{ prev_hash: string; ids: string }>(`SELECT prev_hash, GROUP_CONCAT(id ORDER BY id) AS ids FROM ${TABLES.audit}
    GROUP BY prev_hash HAVING COUNT(*) > 1 ORDER BY MIN(id) LIMIT 1`);
  if (fork) throw forkedChainError(fork.prev_hash, String(fork.ids).split(','));
  const create = `CREATE UNIQUE INDEX ${AUDIT_CHAIN_INDEX} ON ${TABLES.audit} (prev_hash(64))`;
  try {
    await session.run(create);
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    // 1142: no INDEX privilege on the table.
    if (errno === 1142) throw chainIndexPrivilegeError(create, error);
    if (errno !== 1061) throw error;
  }
}

/** The values of `columns`' fields in `row`, in column order (undefined read as NULL). */
function valuesOf<T extends object>(row: T, columns: Readonly<Partial<Record<keyof T, string>>>): SqlValue[] {
  return Object.keys(columns).map((field) => (row[field as keyof T] ?? null) as SqlValue);
}

/** The seq the next history write takes: one more than the last. */
export async function nextSeq(session: MysqlSession): Promise<number> {
  return Number(await session.value(`SELECT COALESCE(MAX(seq), 0) + 1 FROM ${TABLES.history}`));
}

/**
 * Implements `Driver.writeHistory` (without the fencing, see the lease): upsert by version; the row
 * moves to the end of applied order. The values are bound twice rather than read back with
 * VALUES(col), which MySQL 8.0.20 deprecated and whose replacement MariaDB does not parse.
 * `known`: the seq to write, when the caller counts them (see the driver); else read here.
 */
export async function writeHistory(session: MysqlSession, row: HistoryRow, known?: number): Promise<void> {
  if (row.version.length > VERSION_LENGTH) {
    throw new Error(`cannot record migration ${row.version.slice(0, 40)}...: ${TABLES.history}.version holds at most ${VERSION_LENGTH} characters`);
  }
  // Two statements: MySQL refuses a subquery on the table an INSERT writes (ER_UPDATE_TABLE_USED).
  // The run lock keeps writers apart in between.
  const seq = known ?? await nextSeq(session);
  const columns = Object.values(HISTORY_COLUMNS);
  const { version: _key, ...rest } = HISTORY_COLUMNS;
  await session.run(`INSERT INTO ${TABLES.history} (${columns.map(quote).join(', ')}, seq)
    VALUES (${columns.map(() => '?').join(', ')}, ?)
    ON DUPLICATE KEY UPDATE ${Object.values(rest).map((c) => `${quote(c)} = ?`).join(', ')}, seq = ?`,
  [...valuesOf(row, HISTORY_COLUMNS), seq, ...valuesOf(row, rest), seq]);
}

/**
 * Implements `Driver.appendAudit`: `false` when the unique prev_hash index says a row follows
 * `entry.prevHash` already (ER_DUP_ENTRY, 1062, on it). InnoDB rolls back only the failed
 * statement, not the open transaction. The table's triggers reject any later UPDATE or DELETE.
 */
export async function appendAudit(session: MysqlSession, entry: ChainedAuditEntry): Promise<boolean> {
  const columns = Object.values(AUDIT_COLUMNS);
  try {
    await session.run(`INSERT INTO ${TABLES.audit} (${columns.map(quote).join(', ')})
      VALUES (${columns.map(() => '?').join(', ')})`, valuesOf(entry, AUDIT_COLUMNS));
    return true;
  } catch (error) {
    if ((error as { errno?: unknown }).errno === 1062 && String((error as Error).message).includes(AUDIT_CHAIN_INDEX)) return false;
    throw error;
  }
}

/**
 * Implements `Driver.readAuditHead`: hash of the newest row, `''` when empty or absent. Writable
 * sessions read with a lock: under REPEATABLE READ a plain SELECT in an open transaction would miss
 * a row another session committed since the transaction's first read, and the append retry would
 * loop on it. Read-only sessions never append: a plain read.
 */
export async function readAuditHead(session: MysqlSession, locking: boolean): Promise<string> {
  if (!(await existingTables(session, [TABLES.audit])).has(TABLES.audit)) return '';
  const hash = await session.value(`SELECT hash FROM ${TABLES.audit} ORDER BY id DESC LIMIT 1${locking ? ' LOCK IN SHARE MODE' : ''}`);
  return typeof hash === 'string' ? hash : '';
}
