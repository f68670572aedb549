import { snapshotDigest } from '../../core/schema.js';
import type { PgSession } from './session.js';

// One line per object of the current schema, migrator's own excluded. Index validity is part of it:
// a CREATE INDEX CONCURRENTLY that died half-way changes the digest (and is reported as a leftover).
const FINGERPRINT_SQL = `SELECT line FROM (
  SELECT 'rel ' || c.relkind::text || ' ' || c.relname || ' ' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
      || CASE WHEN c.relkind IN ('v', 'm') THEN ' ' || md5(pg_get_viewdef(c.oid)) ELSE '' END AS line
    FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname NOT LIKE 'migrator\\_%'
  UNION ALL SELECT 'idx ' || c.relname || ' ' || i.indisvalid || ' ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = current_schema()::regnamespace AND c.relname NOT LIKE 'migrator\\_%'
  UNION ALL SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text NOT LIKE 'migrator\\_%'
  UNION ALL SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(coalesce(p.prosrc, ''))
    FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.proname NOT LIKE 'migrator\\_%'
  UNION ALL SELECT 'trg ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || md5(pg_get_triggerdef(t.oid))
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND c.relname NOT LIKE 'migrator\\_%'
  UNION ALL SELECT 'type ' || t.typname || ' ' || t.typtype::text || ' ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
    FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'r')
) objects ORDER BY line`;

/** Implements `Driver.schemaSnapshot` for the session's current schema. */
export async function schemaSnapshot(session: PgSession): Promise<ReadonlyArray<string>> {
  const { rows } = await session.query<{ line: string }>(FINGERPRINT_SQL);
  return rows.map((row) => row.line);
}

/** Implements `Driver.schemaFingerprint`. */
export async function schemaFingerprint(session: PgSession): Promise<string> {
  return snapshotDigest(await schemaSnapshot(session));
}
