/**
 * `Driver.readAudit` on PostgreSQL: audit rows by filter, in id order, from the session's current
 * schema. A plain SELECT: works read-only, creates nothing, takes no lock.
 */
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES } from '../../core/metadata.js';
import { existing } from './metadata.js';
import type { Params, PgSession } from './session.js';

// bigint arrives as text from node-postgres: float8 is exact below 2^53, as readState does.
const NUMERIC = new Set(['duration_ms']);
const SELECT = ['id::float8 AS "id"', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `${column}${NUMERIC.has(column) ? '::float8' : ''} AS "${field}"`)].join(', ');

/** The WHERE clause and its parameters for `filter`. */
function where(filter: AuditFilter): { readonly sql: string; readonly params: Params } {
  const params: Array<string | number> = [];
  const next = (value: string | number): string => `$${params.push(value)}`;
  const clauses: string[] = [];
  // "C": byte order, so ISO-8601 texts compare as the times they spell, whatever the collation.
  if (filter.since !== undefined) clauses.push(`at COLLATE "C" >= ${next(filter.since)}`);
  if (filter.version !== undefined) {
    const version = next(filter.version);
    clauses.push(`(version = ${version} OR from_version = ${version} OR to_version = ${version})`);
  }
  if (filter.actor !== undefined) clauses.push(`actor = ${next(filter.actor)}`);
  if (filter.afterId !== undefined) clauses.push(`id > ${next(filter.afterId)}`);
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export async function readAudit(session: PgSession, filter: AuditFilter): Promise<ReadonlyArray<StoredAuditEntry>> {
  const [exists] = await existing(session, TABLES.audit);
  if (!exists) return [];
  const { sql, params } = where(filter);
  const newest = filter.newest === true && filter.limit !== undefined;
  const limit = filter.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const { rows } = await session.query<StoredAuditEntry>(`SELECT ${SELECT} FROM ${session.table(TABLES.audit)} ${sql} ORDER BY id ${newest ? 'DESC' : ''} ${limit}`, params);
  return newest ? rows.reverse() : rows;
}

/**
 * Whether this session's transactions default to read committed: then a transaction of the lock
 * holder sees an audit row another session committed meanwhile, and re-chains after it
 * (`Capabilities.auditAppendWithoutLock`). Repeatable read and serializable keep an older
 * snapshot. `false` when it cannot be read.
 */
export async function readCommitted(session: PgSession): Promise<boolean> {
  try {
    const { rows } = await session.query<{ level: string }>("SELECT current_setting('default_transaction_isolation') AS level");
    return rows[0]?.level === 'read committed';
  } catch {
    return false;
  }
}
