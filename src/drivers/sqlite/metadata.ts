/**
 * The metadata tables of the SQLite driver (DESIGN.md section 5): their DDL, and the reads and
 * writes that map them to the core's camelCase rows. Table names live only in {@link TABLES}.
 */
import type Database from 'better-sqlite3';
import type { ChainedAuditEntry, MetadataState } from '../../core/ports.js';
import type { HistoryRow } from '../../core/model.js';
import { MigratorError } from '../../core/errors.js';
import { AUDIT_CHAIN_INDEX, AUDIT_COLUMNS, HISTORY_COLUMNS, HISTORY_SEQ_INDEX, TABLES, forkedChainError, parseFormat } from '../../core/metadata.js';
import { prepared } from './prepared.js';

export { TABLES };

/** Names of the metadata tables. The one place to change when the prefix becomes configurable. */
const DDL = `
CREATE TABLE IF NOT EXISTS ${TABLES.meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${TABLES.history} (
  version TEXT PRIMARY KEY, description TEXT NOT NULL, kind TEXT NOT NULL, script TEXT NOT NULL,
  checksum TEXT NOT NULL, down_checksum TEXT, state TEXT NOT NULL, batch INTEGER NOT NULL,
  statements_total INTEGER NOT NULL, statements_applied INTEGER NOT NULL, applied_hash TEXT,
  applied_by TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL, error TEXT,
  run_id TEXT NOT NULL, tool_version TEXT NOT NULL,
  seq INTEGER NOT NULL -- order of the last write: readState returns rows in applied order
);
CREATE TABLE IF NOT EXISTS ${TABLES.audit} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
  host TEXT NOT NULL, environment TEXT NOT NULL, command TEXT NOT NULL, event TEXT NOT NULL,
  version TEXT, from_version TEXT, to_version TEXT, checksum TEXT, outcome TEXT NOT NULL,
  duration_ms INTEGER, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${TABLES.progress} (
  version TEXT NOT NULL, name TEXT NOT NULL, table_name TEXT NOT NULL, key_column TEXT NOT NULL, last_key TEXT NOT NULL, rows_done INTEGER NOT NULL,
  batches INTEGER NOT NULL, run_id TEXT NOT NULL, updated_at TEXT NOT NULL, finished_at TEXT,
  PRIMARY KEY (version, name)
);
CREATE TRIGGER IF NOT EXISTS ${TABLES.audit}_no_update BEFORE UPDATE ON ${TABLES.audit}
BEGIN SELECT RAISE(ABORT, '${TABLES.audit} is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ${TABLES.audit}_no_delete BEFORE DELETE ON ${TABLES.audit}
BEGIN SELECT RAISE(ABORT, '${TABLES.audit} is append-only'); END;
`;

/** Whether `table` exists, without creating anything (reads sqlite_master only). */
export function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
}

/** The stored metadata format, `undefined` when the meta table or its row is absent. */
function readFormat(db: Database.Database): number | undefined {
  if (!tableExists(db, TABLES.meta)) return undefined;
  const value = db.prepare(`SELECT value FROM ${TABLES.meta} WHERE key = 'format'`).pluck().get();
  return parseFormat(value);
}

/** Implements `Driver.readState`: never creates anything, absent tables read as empty. */
export function readState(db: Database.Database): MetadataState {
  const format = readFormat(db);
  if (!tableExists(db, TABLES.history)) return { format, rows: [] };
  const select = Object.entries(HISTORY_COLUMNS).map(([field, column]) => `${column} AS "${field}"`).join(', ');
  const rows = db.prepare(`SELECT ${select} FROM ${TABLES.history} ORDER BY seq`).all() as HistoryRow[];
  return { format, rows };
}

/**
 * Implements `Driver.prepareMetadata`: creates what is missing and records `format`, all in one
 * transaction (a savepoint when the core already opened one). Throws E_METADATA_VERSION when the
 * tables were written by a newer migrator.
 */
export function prepareMetadata(db: Database.Database, format: number): { readonly created: boolean } {
  // IMMEDIATE: take the write lock before reading the format, so no other process upgrades in between.
  return db.transaction(() => {
    const existing = readFormat(db);
    if (existing !== undefined && existing > format) {
      throw new MigratorError('E_METADATA_VERSION', `the metadata tables have format ${existing}, newer than the ${format} this migrator understands`, {
        hint: 'upgrade migrator to the version that last migrated this database',
        details: { found: existing, supported: format },
      });
    }
    const created = !tableExists(db, TABLES.history);
    db.exec(DDL);
    guardChain(db);
    db.exec(`CREATE INDEX IF NOT EXISTS ${HISTORY_SEQ_INDEX} ON ${TABLES.history} (seq)`);
    if (existing !== format) {
      db.prepare(`INSERT INTO ${TABLES.meta} (key, value) VALUES ('format', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(format));
    }
    return { created };
  }).immediate();
}

/**
 * Creates the unique index on prev_hash where it is missing (format 2). Rows that already share a
 * prev_hash (a fork) are refused with E_AUDIT_TAMPERED naming them, before CREATE would fail.
 */
function guardChain(db: Database.Database): void {
  if (db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).get(AUDIT_CHAIN_INDEX) !== undefined) return;
  const fork = db.prepare(`SELECT prev_hash, group_concat(id) AS ids FROM (SELECT prev_hash, id FROM ${TABLES.audit} ORDER BY id)
    GROUP BY prev_hash HAVING count(*) > 1 ORDER BY min(id) LIMIT 1`).get() as { prev_hash: string; ids: string } | undefined;
  if (fork) throw forkedChainError(fork.prev_hash, fork.ids.split(','));
  db.exec(`CREATE UNIQUE INDEX ${AUDIT_CHAIN_INDEX} ON ${TABLES.audit} (prev_hash)`);
}

/** Picks exactly the mapped fields, so extra properties on the core's objects never reach SQL. */
function bindings<T extends object>(row: T, columns: Readonly<Record<keyof T, string>>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(columns).map((field) => [field, row[field as keyof T]]));
}

/** Implements `Driver.writeHistory`: upsert by version; the row moves to the end of applied order. */
export function writeHistory(db: Database.Database, row: HistoryRow): void {
  const fields = Object.keys(HISTORY_COLUMNS);
  const columns = Object.values(HISTORY_COLUMNS);
  const nextSeq = `(SELECT COALESCE(MAX(seq), 0) + 1 FROM ${TABLES.history})`;
  const updates = columns.filter((c) => c !== 'version').map((c) => `${c} = excluded.${c}`);
  prepared(db, `INSERT INTO ${TABLES.history} (${columns.join(', ')}, seq)
    VALUES (${fields.map((f) => `@${f}`).join(', ')}, ${nextSeq})
    ON CONFLICT (version) DO UPDATE SET ${updates.join(', ')}, seq = ${nextSeq}`).run(bindings(row, HISTORY_COLUMNS));
}

/**
 * Implements `Driver.appendAudit`: `false` when the unique prev_hash index says a row follows
 * `entry.prevHash` already. SQLite undoes only the failed statement, not the open transaction.
 * The table's triggers reject any later UPDATE or DELETE.
 */
export function appendAudit(db: Database.Database, entry: ChainedAuditEntry): boolean {
  const fields = Object.keys(AUDIT_COLUMNS);
  try {
    prepared(db, `INSERT INTO ${TABLES.audit} (${Object.values(AUDIT_COLUMNS).join(', ')})
      VALUES (${fields.map((f) => `@${f}`).join(', ')})`).run(bindings(entry, AUDIT_COLUMNS));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes(`${TABLES.audit}.prev_hash`)) return false;
    throw error;
  }
}

/** Implements `Driver.readAuditHead`: hash of the newest row, `''` when empty or absent. */
export function readAuditHead(db: Database.Database): string {
  if (!tableExists(db, TABLES.audit)) return '';
  const hash: unknown = db.prepare(`SELECT hash FROM ${TABLES.audit} ORDER BY id DESC LIMIT 1`).pluck().get();
  return typeof hash === 'string' ? hash : '';
}
