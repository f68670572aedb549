/**
 * `Driver.readAudit` on MySQL / MariaDB: audit rows by filter, in id order, from the connection's
 * database. A plain SELECT: works read-only, creates nothing, takes no lock.
 */
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES } from '../../core/metadata.js';
import { existingTables } from './metadata.js';
import type { MysqlSession, SqlValue } from './session.js';

const SELECT = ['`id` AS `id`', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `\`${column}\` AS \`${field}\``)].join(', ');

/** The WHERE clause and its values for `filter`. The table's utf8mb4_bin compares byte by byte. */
function where(filter: AuditFilter): { readonly sql: string; readonly values: SqlValue[] } {
  const values: SqlValue[] = [];
  const clauses: string[] = [];
  if (filter.since !== undefined) {
    clauses.push('`at` >= ?');
    values.push(filter.since);
  }
  if (filter.version !== undefined) {
    clauses.push('(`version` = ? OR `from_version` = ? OR `to_version` = ?)');
    values.push(filter.version, filter.version, filter.version);
  }
  if (filter.actor !== undefined) {
    clauses.push('`actor` = ?');
    values.push(filter.actor);
  }
  if (filter.afterId !== undefined) {
    clauses.push('`id` > ?');
    values.push(filter.afterId);
  }
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values };
}

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export async function readAudit(session: MysqlSession, filter: AuditFilter): Promise<ReadonlyArray<StoredAuditEntry>> {
  if (!(await existingTables(session, [TABLES.audit])).has(TABLES.audit)) return [];
  const { sql, values } = where(filter);
  const newest = filter.newest === true && filter.limit !== undefined;
  // Inlined: a prepared LIMIT ? is refused by some servers for a number bound as a double.
  const limit = filter.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const rows = await session.rows<StoredAuditEntry>(`SELECT ${SELECT} FROM ${TABLES.audit} ${sql} ORDER BY \`id\` ${newest ? 'DESC' : ''} ${limit}`, values);
  // BIGINT columns come back as numbers (supportBigNumbers, exact below 2^53).
  const read = rows.map((row) => ({ ...row, id: Number(row.id), durationMs: row.durationMs === null ? null : Number(row.durationMs) }));
  return newest ? read.reverse() : read;
}
