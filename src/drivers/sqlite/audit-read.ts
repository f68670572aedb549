/**
 * `Driver.readAudit` on SQLite: audit rows by filter, in id order. A plain SELECT: works on a
 * read-only connection, creates nothing.
 */
import type Database from 'better-sqlite3';
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES, auditQuery } from '../../core/metadata.js';
import { tableExists } from './metadata.js';

const SELECT = ['id AS "id"', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `${column} AS "${field}"`)].join(', ');

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export function readAudit(db: Database.Database, filter: AuditFilter): ReadonlyArray<StoredAuditEntry> {
  if (!tableExists(db, TABLES.audit)) return [];
  // TEXT compares byte by byte (BINARY collation).
  const { where, values, tail, newest } = auditQuery(filter, { param: () => '?' });
  const rows = db.prepare(`SELECT ${SELECT} FROM ${TABLES.audit} ${where} ${tail}`).all(...values) as StoredAuditEntry[];
  return newest ? rows.reverse() : rows;
}
