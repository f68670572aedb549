/**
 * The recorded schema snapshot of the PostgreSQL driver (docs/drift.md): one row of migrator_meta
 * (text, unbounded), its text encoded by the core.
 */
import type { RecordedSchema } from '../../core/ports.js';
import { SCHEMA_KEY, TABLES, decodeRecordedSchema, encodeRecordedSchema } from '../../core/metadata.js';
import type { PgSession } from './session.js';

/** Implements `Driver.readRecordedSchema`: to_regclass neither fails nor creates anything for an absent table. */
export async function readRecordedSchema(session: PgSession): Promise<RecordedSchema | undefined> {
  const table = session.table(TABLES.meta);
  const { rows: [found] } = await session.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (found?.present !== true) return undefined;
  const { rows } = await session.query<{ value: string }>(`SELECT value FROM ${table} WHERE key = $1`, [SCHEMA_KEY]);
  return decodeRecordedSchema(rows[0]?.value);
}

/** Implements `Driver.recordSchema` without the fencing (the driver adds it): upsert of the one row. */
export async function recordSchema(session: PgSession, record: RecordedSchema): Promise<void> {
  await session.query(`INSERT INTO ${session.table(TABLES.meta)} (key, value) VALUES ($1, $2)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [SCHEMA_KEY, encodeRecordedSchema(record)]);
}
