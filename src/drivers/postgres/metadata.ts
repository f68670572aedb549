/**
 * The metadata tables of the PostgreSQL driver (DESIGN.md section 5), with the names and columns of
 * the SQLite driver's, in the session's current schema. Timestamps written by the core are kept as
 * text, so they read back exactly as written.
 */
import pg from 'pg';
import type { ChainedAuditEntry, MetadataState } from '../../core/ports.js';
import type { HistoryRow } from '../../core/model.js';
import { MigratorError } from '../../core/errors.js';
import { isCreateRace, sqlState } from './errors.js';
import type { Params, PgSession } from './session.js';
import { LOCK_LOST_STATE, lockLostError } from './run-lock.js';
import { AUDIT_CHAIN_INDEX, AUDIT_COLUMNS, HISTORY_COLUMNS, HISTORY_SEQ_INDEX, TABLES, chainIndexPrivilegeError, forkedChainError, parseFormat } from '../../core/metadata.js';

export { TABLES };

/** Names of the metadata tables. The one place to change when the prefix becomes configurable. */
function ddl(session: PgSession): string {
  return `
CREATE TABLE IF NOT EXISTS ${session.table(TABLES.meta)} (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ${session.table(TABLES.history)} (
  version text PRIMARY KEY, description text NOT NULL, kind text NOT NULL, script text NOT NULL,
  checksum text NOT NULL, down_checksum text, state text NOT NULL, batch integer NOT NULL,
  statements_total integer NOT NULL, statements_applied integer NOT NULL, applied_hash text,
  applied_by text NOT NULL, applied_at text NOT NULL, execution_ms bigint NOT NULL, error text,
  run_id text NOT NULL, tool_version text NOT NULL,
  seq bigint NOT NULL -- order of the last write: readState returns rows in applied order
);
CREATE TABLE IF NOT EXISTS ${session.table(TABLES.audit)} (
  id bigserial PRIMARY KEY, run_id text NOT NULL, at text NOT NULL, actor text NOT NULL,
  host text NOT NULL, environment text NOT NULL, command text NOT NULL, event text NOT NULL,
  version text, from_version text, to_version text, checksum text, outcome text NOT NULL,
  duration_ms bigint, detail text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${session.table(TABLES.progress)} (
  version text NOT NULL, name text NOT NULL, table_name text NOT NULL, key_column text NOT NULL, last_key text NOT NULL, rows_done bigint NOT NULL,
  batches bigint NOT NULL, run_id text NOT NULL, updated_at text NOT NULL, finished_at text,
  PRIMARY KEY (version, name)
);`;
}

const GUARD = `${TABLES.audit}_append_only`;

// Created only when missing: CREATE OR REPLACE run by two sessions at once fails with XX000
// "tuple concurrently updated", while a plain CREATE that loses a race fails with 42723 (retried).
function guardDdl(session: PgSession): string {
  return `CREATE FUNCTION ${session.table(GUARD)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '${TABLES.audit} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$fn$`;
}

// TRUNCATE fires no row trigger: it needs its own statement-level one.
const TRIGGERS = [
  { name: `${TABLES.audit}_no_update`, when: 'BEFORE UPDATE', each: 'ROW' },
  { name: `${TABLES.audit}_no_delete`, when: 'BEFORE DELETE', each: 'ROW' },
  { name: `${TABLES.audit}_no_truncate`, when: 'BEFORE TRUNCATE', each: 'STATEMENT' },
] as const;

/** Which of `tables` exist, by to_regclass: it neither fails nor creates anything for an absent table. */
export async function existing(session: PgSession, ...tables: string[]): Promise<boolean[]> {
  const select = tables.map((_, i) => `to_regclass($${i + 1}) IS NOT NULL AS "${i}"`).join(', ');
  const { rows } = await session.query<Record<string, boolean>>(`SELECT ${select}`, tables.map((table) => session.table(table)));
  return tables.map((_, i) => rows[0]?.[String(i)] === true);
}

/** The stored metadata format, `undefined` when the meta table or its row is absent. */
async function readFormat(session: PgSession): Promise<number | undefined> {
  const [exists] = await existing(session, TABLES.meta);
  if (!exists) return undefined;
  const { rows } = await session.query<{ value: string }>(`SELECT value FROM ${session.table(TABLES.meta)} WHERE key = 'format'`);
  const value = rows[0]?.value;
  return parseFormat(value);
}

/** Implements `Driver.readState`: never creates anything, absent tables read as empty. */
export async function readState(session: PgSession): Promise<MetadataState> {
  // One round trip for both tables' existence, then the format and the history: a no-op status
  // or up pays these on every start.
  const [metaExists, historyExists] = await existing(session, TABLES.meta, TABLES.history);
  let format: number | undefined;
  if (metaExists) {
    const { rows } = await session.query<{ value: string }>(`SELECT value FROM ${session.table(TABLES.meta)} WHERE key = 'format'`);
    format = parseFormat(rows[0]?.value);
  }
  if (!historyExists) return { format, rows: [] };
  // bigint arrives as a string from node-postgres; float8 as a number (exact below 2^53).
  const select = Object.entries(HISTORY_COLUMNS)
    .map(([field, column]) => `${column}${column === 'execution_ms' ? '::float8' : ''} AS "${field}"`).join(', ');
  const { rows } = await session.query<HistoryRow>(`SELECT ${select} FROM ${session.table(TABLES.history)} ORDER BY seq`);
  return { format, rows };
}

/** Creates the append-only guard of the audit table where it is missing. */
async function guardAudit(session: PgSession): Promise<void> {
  const { rows } = await session.query<{ guard: boolean; tgname: string | null; tgenabled: string | null }>(`SELECT to_regprocedure($1) IS NOT NULL AS guard, t.tgname, t.tgenabled
    FROM (SELECT 1) AS one LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass($2)`, [`${session.table(GUARD)}()`, session.table(TABLES.audit)]);
  if (rows[0]?.guard !== true) await session.query(guardDdl(session));
  const present = new Set(rows.map((row) => row.tgname));
  for (const trigger of TRIGGERS.filter((t) => !present.has(t.name))) {
    await session.query(`CREATE TRIGGER ${trigger.name} ${trigger.when} ON ${session.table(TABLES.audit)}
      FOR EACH ${trigger.each} EXECUTE PROCEDURE ${session.table(GUARD)}()`);
  }
  // ALTER TABLE ... DISABLE TRIGGER is PostgreSQL's way round the guard short of dropping it.
  const disabled = rows.filter((row) => row.tgenabled === 'D' && TRIGGERS.some((t) => t.name === row.tgname));
  for (const row of disabled) {
    const enable = `ALTER TABLE ${session.table(TABLES.audit)} ENABLE TRIGGER ${row.tgname ?? ''}`;
    try {
      await session.query(enable);
    } catch (error) {
      if (sqlState(error) !== '42501') throw error;
      throw new MigratorError('E_PRIVILEGE', `the trigger ${row.tgname ?? ''} that keeps ${TABLES.audit} append-only is disabled, and this user may not enable it: ${(error as Error).message}`, {
        hint: `Someone with the privileges of the table's owner disabled it: run "migrate audit verify", then have the owner run ${enable}.`,
        cause: error,
      });
    }
  }
}

/**
 * Creates the unique index on prev_hash where it is missing (format 2). Rows that already share a
 * prev_hash (a fork) are refused with E_AUDIT_TAMPERED naming them, before CREATE would fail.
 */
async function guardChain(session: PgSession): Promise<void> {
  const [exists] = await existing(session, AUDIT_CHAIN_INDEX);
  if (exists) return;
  const forks = await session.query<{ prev_hash: string; ids: string[] }>(`SELECT prev_hash, array_agg(id::text ORDER BY id) AS ids
    FROM ${session.table(TABLES.audit)} GROUP BY prev_hash HAVING count(*) > 1 ORDER BY min(id) LIMIT 1`);
  const fork = forks.rows[0];
  if (fork) throw forkedChainError(fork.prev_hash, fork.ids);
  const create = `CREATE UNIQUE INDEX ${AUDIT_CHAIN_INDEX} ON ${session.table(TABLES.audit)} (prev_hash)`;
  try {
    await session.query(create);
  } catch (error) {
    // 42501: only the table's owner may index it (docs/security.md hands it to another role).
    if (sqlState(error) === '42501') throw chainIndexPrivilegeError(create, error);
    throw error;
  }
}

/** Creates the index on history.seq where it is missing and this user may (see HISTORY_SEQ_INDEX). */
async function seqIndex(session: PgSession): Promise<void> {
  const [exists] = await existing(session, HISTORY_SEQ_INDEX);
  if (exists) return;
  await session.query('SAVEPOINT migrator_seq_index');
  try {
    await session.query(`CREATE INDEX ${pg.escapeIdentifier(HISTORY_SEQ_INDEX)} ON ${session.table(TABLES.history)} (seq)`);
    await session.query('RELEASE SAVEPOINT migrator_seq_index');
  } catch (error) {
    // 42501: only the table's owner may index it; runs go on without the index.
    await session.query('ROLLBACK TO SAVEPOINT migrator_seq_index');
    if (sqlState(error) !== '42501') throw error;
  }
}

/** Creates what is missing and records `format`; runs inside `atomically`. */
async function prepare(session: PgSession, format: number): Promise<{ readonly created: boolean }> {
  const stored = await readFormat(session);
  if (stored !== undefined && stored > format) {
    throw new MigratorError('E_METADATA_VERSION', `the metadata tables have format ${stored}, newer than the ${format} this migrator understands`, {
      hint: 'upgrade migrator to the version that last migrated this database',
      details: { found: stored, supported: format },
    });
  }
  const [historyExists] = await existing(session, TABLES.history);
  await session.query(ddl(session));
  await guardAudit(session);
  await guardChain(session);
  await seqIndex(session);
  if (stored !== format) {
    await session.query(`INSERT INTO ${session.table(TABLES.meta)} (key, value) VALUES ('format', $1)
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [String(format)]);
  }
  return { created: !historyExists };
}

/**
 * Implements `Driver.prepareMetadata` in one transaction (PostgreSQL DDL is transactional; a
 * savepoint when the core already opened one). Throws E_METADATA_VERSION for a newer stored format.
 * A concurrent creator makes CREATE TABLE IF NOT EXISTS fail (23505 on pg_type, 42P07, 42723): the work is
 * rolled back and done once more, now finding the tables.
 */
export async function prepareMetadata(session: PgSession, format: number): Promise<{ readonly created: boolean }> {
  try {
    return await session.atomically(() => prepare(session, format));
  } catch (error) {
    if (!isCreateRace(error)) throw error;
    return session.atomically(() => prepare(session, format));
  }
}

/** Picks exactly the mapped fields, so extra properties on the core's objects never reach SQL. */
function bindings(row: object, columns: Readonly<Record<string, string>>): Params {
  return Object.keys(columns).map((field) => (row as Record<string, string | number | null>)[field] ?? null);
}

const placeholders = (count: number): string[] => Array.from({ length: count }, (_, i) => `$${i + 1}`);

/** A value as an SQL literal, for the simple query protocol (which takes no parameters). */
function literal(value: string | number | boolean | null): string {
  return value === null ? 'NULL' : pg.escapeLiteral(String(value));
}

/** The history upsert with `values` (placeholders or literals, in HISTORY_COLUMNS order). */
function historyUpsert(session: PgSession, values: ReadonlyArray<string>): string {
  const table = session.table(TABLES.history);
  const columns = Object.values(HISTORY_COLUMNS);
  const nextSeq = `(SELECT COALESCE(MAX(seq), 0) + 1 FROM ${table})`;
  const updates = columns.filter((c) => c !== 'version').map((c) => `${c} = EXCLUDED.${c}`);
  return `INSERT INTO ${table} (${columns.join(', ')}, seq) VALUES (${values.join(', ')}, ${nextSeq})
    ON CONFLICT (version) DO UPDATE SET ${updates.join(', ')}, seq = ${nextSeq}`;
}

/** The audit insert with `values` (placeholders or literals, in AUDIT_COLUMNS order). */
function auditInsert(session: PgSession, values: ReadonlyArray<string>): string {
  return `INSERT INTO ${session.table(TABLES.audit)} (${Object.values(AUDIT_COLUMNS).join(', ')}) VALUES (${values.join(', ')})`;
}

/** Whether `error` is the unique prev_hash index refusing a second row after the same head. */
function chainMoved(error: unknown): boolean {
  return sqlState(error) === '23505' && (error as { constraint?: unknown }).constraint === AUDIT_CHAIN_INDEX;
}

/** Implements `Driver.writeHistory` (fencing is the lock's): upsert by version; the row moves to the end of applied order. */
export async function writeHistory(session: PgSession, row: HistoryRow): Promise<void> {
  await session.query(historyUpsert(session, placeholders(Object.keys(HISTORY_COLUMNS).length)), bindings(row, HISTORY_COLUMNS));
}

/**
 * Implements `Driver.commitStep` in one simple query: the history upsert, the audit insert in a
 * savepoint (a chain conflict undoes only it), `lockCheck` (RunLock.checkStatement) and COMMIT.
 * A failed statement stops the rest of the message, COMMIT included.
 */
export async function commitStep(session: PgSession, row: HistoryRow, audit: ChainedAuditEntry, lockCheck: string): Promise<boolean> {
  const text = [
    historyUpsert(session, bindings(row, HISTORY_COLUMNS).map(literal)),
    'SAVEPOINT migrator_audit',
    auditInsert(session, bindings(audit, AUDIT_COLUMNS).map(literal)),
    'RELEASE SAVEPOINT migrator_audit',
    lockCheck,
  ].join(';\n');
  try {
    await session.commitWith(text);
    return true;
  } catch (error) {
    if (chainMoved(error) && session.inTransaction) {
      await session.query('ROLLBACK TO SAVEPOINT migrator_audit');
      return false;
    }
    if (sqlState(error) === LOCK_LOST_STATE) throw lockLostError((error as Error).message);
    throw error;
  }
}

/**
 * Implements `Driver.appendAudit`: `false` when the unique prev_hash index says a row follows
 * `entry.prevHash` already (23505 on it). In a savepoint inside the core's transaction, since a
 * failed statement would abort the whole transaction. The table's triggers reject any later
 * UPDATE, DELETE or TRUNCATE.
 */
export async function appendAudit(session: PgSession, entry: ChainedAuditEntry): Promise<boolean> {
  try {
    await session.atomically(() => session.query(auditInsert(session, placeholders(Object.keys(AUDIT_COLUMNS).length)), bindings(entry, AUDIT_COLUMNS)));
    return true;
  } catch (error) {
    if (chainMoved(error)) return false;
    throw error;
  }
}

/** Implements `Driver.readAuditHead`: hash of the newest row, `''` when empty or absent. */
export async function readAuditHead(session: PgSession): Promise<string> {
  const [exists] = await existing(session, TABLES.audit);
  if (!exists) return '';
  const { rows } = await session.query<{ hash: string }>(`SELECT hash FROM ${session.table(TABLES.audit)} ORDER BY id DESC LIMIT 1`);
  return rows[0]?.hash ?? '';
}
