/**
 * The layout of migrator's metadata tables, the same on every engine: table names and the column
 * of each field of a history row and an audit row. Drivers write the engine's DDL around these;
 * keeping the names in one place keeps the engines' tables identical (and audit verification,
 * imports and docs honest).
 */
import { MigratorError } from './errors.js';
import type { HistoryRow } from './model.js';
import type { AuditFilter, BatchCheckpoint, ChainedAuditEntry, RecordedSchema } from './ports.js';

export const TABLES = Object.freeze({
  meta: 'migrator_meta',
  history: 'migrator_history',
  audit: 'migrator_audit',
  lock: 'migrator_lock',
  /** Checkpoints of `ctx.batch` backfills (docs/batches.md): one row per running batch job. */
  progress: 'migrator_progress',
});

/** HistoryRow field -> column. Selecting `column AS "field"` yields HistoryRow-shaped objects. */
export const HISTORY_COLUMNS = Object.freeze({
  version: 'version', description: 'description', kind: 'kind', script: 'script',
  checksum: 'checksum', downChecksum: 'down_checksum', state: 'state', batch: 'batch',
  statementsTotal: 'statements_total', statementsApplied: 'statements_applied',
  appliedHash: 'applied_hash', appliedBy: 'applied_by', appliedAt: 'applied_at',
  executionMs: 'execution_ms', error: 'error', runId: 'run_id', toolVersion: 'tool_version',
} as const satisfies Record<keyof HistoryRow, string>);

/** ChainedAuditEntry field -> column (the row id is assigned by the engine). */
export const AUDIT_COLUMNS = Object.freeze({
  runId: 'run_id', at: 'at', actor: 'actor', host: 'host', environment: 'environment',
  command: 'command', event: 'event', version: 'version', fromVersion: 'from_version',
  toVersion: 'to_version', checksum: 'checksum', outcome: 'outcome', durationMs: 'duration_ms',
  detail: 'detail', prevHash: 'prev_hash', hash: 'hash',
} as const satisfies Record<keyof ChainedAuditEntry, string>);

/** BatchCheckpoint field -> column. */
export const PROGRESS_COLUMNS = Object.freeze({
  version: 'version', name: 'name', table: 'table_name', key: 'key_column', lastKey: 'last_key', rows: 'rows_done', batches: 'batches',
  runId: 'run_id', updatedAt: 'updated_at', finishedAt: 'finished_at',
} as const satisfies Record<keyof BatchCheckpoint, string>);

/** How an engine spells what `auditQuery` writes. */
export interface AuditSpelling {
  /** The placeholder of the `n`-th bound value (1-based): `$1`, or `?`. */
  readonly param: (n: number) => string;
  /** A column as written in SQL (quoted where the engine needs it); as it is by default. */
  readonly column?: (name: string) => string;
  /**
   * The `at` column as compared. Times are ISO-8601 text and must compare in byte order: true of
   * a binary collation (MySQL's utf8mb4_bin, SQLite's BINARY); PostgreSQL says `COLLATE "C"`.
   */
  readonly at?: string;
}

/**
 * The engine-neutral part of `Driver.readAudit`: the WHERE clause (empty without a filter) and its
 * values, and the ORDER BY / LIMIT tail. With `newest`, rows come newest first: reverse them.
 */
export function auditQuery(filter: AuditFilter, spelling: AuditSpelling): { readonly where: string; readonly values: Array<string | number>; readonly tail: string; readonly newest: boolean } {
  const values: Array<string | number> = [];
  const column = spelling.column ?? ((name: string) => name);
  const next = (value: string | number): string => spelling.param(values.push(value));
  const clauses: string[] = [];
  if (filter.since !== undefined) clauses.push(`${spelling.at ?? column(AUDIT_COLUMNS.at)} >= ${next(filter.since)}`);
  if (filter.version !== undefined) {
    const { version, fromVersion, toVersion } = AUDIT_COLUMNS;
    clauses.push(`(${[version, fromVersion, toVersion].map((c) => `${column(c)} = ${next(filter.version as string)}`).join(' OR ')})`);
  }
  if (filter.actor !== undefined) clauses.push(`${column(AUDIT_COLUMNS.actor)} = ${next(filter.actor)}`);
  if (filter.afterId !== undefined) clauses.push(`${column('id')} > ${next(filter.afterId)}`);
  const newest = filter.newest === true && filter.limit !== undefined;
  // The LIMIT is written out: a prepared `LIMIT ?` bound as a double is refused by some MySQL servers.
  const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values, tail: `ORDER BY ${column('id')}${newest ? ' DESC' : ''}${limit}`, newest };
}

/**
 * The unique index on migrator_audit.prev_hash (metadata format 2): at most one row follows each
 * row, so an append that lost a race fails instead of forking the chain, and is re-chained.
 */
export const AUDIT_CHAIN_INDEX = `${TABLES.audit}_prev_hash`;

/**
 * The index on migrator_history.seq: each history write reads MAX(seq), which without it scans the
 * table, so a run over thousands of migrations slowed with each one. Not part of the format: an
 * optimisation, made where the user may (a role that does not own the table goes without).
 */
export const HISTORY_SEQ_INDEX = `${TABLES.history}_seq_idx`;

/**
 * Thrown by `prepareMetadata` when the index cannot be made because rows `ids` already share the
 * prev_hash `prevHash`: the chain forked before (tampering, or an old run that lost its lease).
 */
export function forkedChainError(prevHash: string, ids: ReadonlyArray<unknown>): MigratorError {
  return new MigratorError('E_AUDIT_TAMPERED', `${TABLES.audit} rows ${ids.map(String).join(' and ')} both follow the row with hash ${prevHash.slice(0, 12) || "'' (the start)"}...: the audit chain forked, so the unique index ${AUDIT_CHAIN_INDEX} that keeps it linear cannot be created`, {
    hint: 'Run "migrate audit verify" to see the first bad row. migrator cannot repair the chain: restore migrator_audit from a backup, or have a superuser remove the forged row (docs/audit.md).',
    details: { prevHash, ids: ids.map(String) },
  });
}

/**
 * Thrown by `prepareMetadata` when this user may not create the unique index on an existing audit
 * table (PostgreSQL: not its owner; MySQL: no INDEX privilege). `statement` is what to run instead.
 */
export function chainIndexPrivilegeError(statement: string, cause: unknown): MigratorError {
  return new MigratorError('E_PRIVILEGE', `cannot create the unique index ${AUDIT_CHAIN_INDEX} on ${TABLES.audit}, which metadata format 2 needs: ${cause instanceof Error ? cause.message : String(cause)}`, {
    hint: `Have the table's owner or an administrator run, once: ${statement}; then run migrator again (docs/audit.md, "Upgrading to metadata format 2").`,
    cause,
  });
}

/**
 * Reads the `format` value of `migrator_meta` as a driver fetched it (text or number).
 * `undefined` when absent; throws E_METADATA_VERSION when it is not a whole number.
 */
export function parseFormat(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const format = Number(value);
  if (!Number.isInteger(format)) {
    throw new MigratorError('E_METADATA_VERSION', `${TABLES.meta} holds an unreadable format ${JSON.stringify(value)}`, {
      hint: `the metadata tables were edited by hand: restore the 'format' row of ${TABLES.meta}`,
    });
  }
  return format;
}

/** The `migrator_meta` key under which the recorded schema snapshot is kept. */
export const SCHEMA_KEY = 'schema';

/** The text drivers store for a recorded schema: JSON with exactly the record's fields. */
export function encodeRecordedSchema(record: RecordedSchema): string {
  const { fingerprint, at, runId, version, toolVersion, lines } = record;
  return JSON.stringify({ fingerprint, at, runId, version, toolVersion, lines });
}

function unreadableRecord(reason: string): MigratorError {
  return new MigratorError('E_METADATA_VERSION', `the schema snapshot recorded in ${TABLES.meta} is unreadable: ${reason}`, {
    hint: `the '${SCHEMA_KEY}' row of ${TABLES.meta} was edited or truncated: record the schema afresh with "migrate verify --accept" once you have checked it`,
  });
}

/**
 * Reads a recorded schema as a driver fetched it. `undefined` when absent (no row); throws
 * E_METADATA_VERSION when the text is not a record this migrator wrote.
 */
export function decodeRecordedSchema(value: unknown): RecordedSchema | undefined {
  if (value === undefined || value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw unreadableRecord('it is not JSON');
  }
  const record = parsed as Partial<Record<keyof RecordedSchema, unknown>>;
  const text = (field: unknown): field is string => typeof field === 'string';
  if (typeof parsed !== 'object' || parsed === null || !text(record.fingerprint) || !text(record.at) || !text(record.runId)
    || !text(record.toolVersion) || !(record.version === null || text(record.version))
    || !Array.isArray(record.lines) || !record.lines.every(text)) {
    throw unreadableRecord('fields are missing or of the wrong type');
  }
  return { fingerprint: record.fingerprint, at: record.at, runId: record.runId, version: record.version, toolVersion: record.toolVersion, lines: record.lines };
}
