import type Database from 'better-sqlite3';
import { snapshotDigest } from '../../core/schema.js';

/**
 * Implements `Driver.schemaSnapshot`: sqlite_master holds the exact SQL of every object; one line
 * per object, its whitespace collapsed, migrator's and SQLite's own objects excluded.
 */
export function schemaSnapshot(db: Database.Database): ReadonlyArray<string> {
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master
    WHERE name NOT LIKE 'migrator\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name`).all() as Array<{ type: string; name: string; tbl_name: string; sql: string | null }>;
  return rows.map((row) => `${row.type} ${row.name}${row.tbl_name === row.name ? '' : ` on ${row.tbl_name}`} ${(row.sql ?? '(automatic)').replace(/\s+/g, ' ').trim()}`);
}

/** Implements `Driver.schemaFingerprint`. */
export function schemaFingerprint(db: Database.Database): string {
  return snapshotDigest(schemaSnapshot(db));
}
