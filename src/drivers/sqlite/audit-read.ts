/**
 * `Driver.readAudit` on SQLite: audit rows by filter, in id order. A plain SELECT: works on a
 * read-only connection, creates nothing.
 */
import type Database from 'better-sqlite3';
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES } from '../../core/metadata.js';
import { tableExists } from './metadata.js';

const SELECT = ['id AS "id"', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `${column} AS "${field}"`)].join(', ');

/** The WHERE clause and its values for `filter`. TEXT compares byte by byte (BINARY collation). */
function where(filter: AuditFilter): { readonly sql: string; readonly values: Array<string | number> } {
  const values: Array<string | number> = [];
  const clauses: string[] = [];
  if (filter.since !== undefined) {
    clauses.push('at >= ?');
    values.push(filter.since);
  }
  if (filter.version !== undefined) {
    clauses.push('(version = ? OR from_version = ? OR to_version = ?)');
    values.push(filter.version, filter.version, filter.version);
  }
  if (filter.actor !== undefined) {
    clauses.push('actor = ?');
    values.push(filter.actor);
  }
  if (filter.afterId !== undefined) {
    clauses.push('id > ?');
    values.push(filter.afterId);
  }
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values };
}

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export function readAudit(db: Database.Database, filter: AuditFilter): ReadonlyArray<StoredAuditEntry> {
  if (!tableExists(db, TABLES.audit)) return [];
  const { sql, values } = where(filter);
  const newest = filter.newest === true && filter.limit !== undefined;
  const limit = filter.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const rows = db.prepare(`SELECT ${SELECT} FROM ${TABLES.audit} ${sql} ORDER BY id ${newest ? 'DESC' : ''} ${limit}`).all(...values) as StoredAuditEntry[];
  return newest ? rows.reverse() : rows;
}
