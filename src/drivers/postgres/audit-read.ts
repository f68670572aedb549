/**
 * `Driver.readAudit` on PostgreSQL: audit rows by filter, in id order, from the session's current
 * schema. A plain SELECT: works read-only, creates nothing, takes no lock.
 */
import type { AuditFilter, StoredAuditEntry } from '../../core/ports.js';
import { AUDIT_COLUMNS, TABLES, auditQuery } from '../../core/metadata.js';
import { existing } from './metadata.js';
import type { Params, PgSession } from './session.js';

// bigint arrives as text from node-postgres: float8 is exact below 2^53, as readState does.
const NUMERIC = new Set(['duration_ms']);
const SELECT = ['id::float8 AS "id"', ...Object.entries(AUDIT_COLUMNS).map(([field, column]) => `${column}${NUMERIC.has(column) ? '::float8' : ''} AS "${field}"`)].join(', ');

/** Implements `Driver.readAudit`: `[]` when the audit table does not exist. */
export async function readAudit(session: PgSession, filter: AuditFilter): Promise<ReadonlyArray<StoredAuditEntry>> {
  const [exists] = await existing(session, TABLES.audit);
  if (!exists) return [];
  // "C": byte order, so ISO-8601 texts compare as the times they spell, whatever the collation.
  const { where, values, tail, newest } = auditQuery(filter, { param: (n) => `$${n}`, at: 'at COLLATE "C"' });
  const { rows } = await session.query<StoredAuditEntry>(`SELECT ${SELECT} FROM ${session.table(TABLES.audit)} ${where} ${tail}`, values as Params);
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
