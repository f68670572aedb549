import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/** Implements `Driver.schemaFingerprint`: sqlite_master holds the exact SQL of every object. */
export function schemaFingerprint(db: Database.Database): string {
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master
    WHERE name NOT LIKE 'migrator\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name`).raw().all();
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}
