/**
 * The recorded schema snapshot of the SQLite driver (docs/drift.md): one row of migrator_meta,
 * its text encoded by the core.
 */
import type Database from 'better-sqlite3';
import type { RecordedSchema } from '../../core/ports.js';
import { SCHEMA_KEY, TABLES, decodeRecordedSchema, encodeRecordedSchema } from '../../core/metadata.js';
import { tableExists } from './metadata.js';

/** Implements `Driver.readRecordedSchema`: never creates anything; absent table or row read as undefined. */
export function readRecordedSchema(db: Database.Database): RecordedSchema | undefined {
  if (!tableExists(db, TABLES.meta)) return undefined;
  return decodeRecordedSchema(db.prepare(`SELECT value FROM ${TABLES.meta} WHERE key = ?`).pluck().get(SCHEMA_KEY));
}

/** Implements `Driver.recordSchema` without the fencing (the driver adds it): upsert of the one row. */
export function recordSchema(db: Database.Database, record: RecordedSchema): void {
  db.prepare(`INSERT INTO ${TABLES.meta} (key, value) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(SCHEMA_KEY, encodeRecordedSchema(record));
}
