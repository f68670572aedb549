/**
 * `Driver.readAudit` on MySQL / MariaDB: audit rows by filter, in id order, from the connection's
 * database. A plain SELECT: works read-only, creates nothing, takes no lock.
 */
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES, auditQuery } from '../../core/metadata.js';
import { existingTables } from './metadata.js';
import type { MysqlSession, SqlValue } from './session.js';

const SELECT = ['`id` AS `id`', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `\`${column}\` AS \`${field}\``)].join(', ');

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export async function readAudit(session: MysqlSession, filter: AuditFilter): Promise<ReadonlyArray<StoredAuditEntry>> {
  if (!(await existingTables(session, [TABLES.audit])).has(TABLES.audit)) return [];
  // The table's utf8mb4_bin compares byte by byte.
  const { where, values, tail, newest } = auditQuery(filter, { param: () => '?', column: (name) => `\`${name}\`` });
  const rows = await session.rows<StoredAuditEntry>(`SELECT ${SELECT} FROM ${TABLES.audit} ${where} ${tail}`, values as SqlValue[]);
  // BIGINT columns come back as numbers (supportBigNumbers, exact below 2^53).
  const read = rows.map((row) => ({ ...row, id: Number(row.id), durationMs: row.durationMs === null ? null : Number(row.durationMs) }));
  return newest ? read.reverse() : read;
}
