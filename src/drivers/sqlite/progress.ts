/** The `ctx.batch` checkpoints of the SQLite driver (migrator_progress, docs/batches.md). */
import type Database from 'better-sqlite3';
import type { BatchCheckpoint } from '../../core/ports.js';
import { PROGRESS_COLUMNS, TABLES } from '../../core/metadata.js';
import { tableExists } from './metadata.js';

const SELECT = Object.entries(PROGRESS_COLUMNS).map(([field, column]) => `${column} AS "${field}"`).join(', ');

/** Implements `Driver.readCheckpoints`. */
export function readCheckpoints(db: Database.Database, version: string): BatchCheckpoint[] {
  if (!tableExists(db, TABLES.progress)) return [];
  return db.prepare(`SELECT ${SELECT} FROM ${TABLES.progress} WHERE version = ? ORDER BY name`).all(version) as BatchCheckpoint[];
}

/** Implements `Driver.saveCheckpoint` (the caller fences it). */
export function saveCheckpoint(db: Database.Database, checkpoint: BatchCheckpoint): void {
  const fields = Object.keys(PROGRESS_COLUMNS) as Array<keyof BatchCheckpoint>;
  const columns = Object.values(PROGRESS_COLUMNS);
  const updates = columns.filter((c) => c !== 'version' && c !== 'name').map((c) => `${c} = excluded.${c}`);
  db.prepare(`INSERT INTO ${TABLES.progress} (${columns.join(', ')}) VALUES (${fields.map((f) => `@${f}`).join(', ')})
    ON CONFLICT (version, name) DO UPDATE SET ${updates.join(', ')}`).run(Object.fromEntries(fields.map((f) => [f, checkpoint[f]])));
}

/** Implements `Driver.clearCheckpoints`. */
export function clearCheckpoints(db: Database.Database, version: string): void {
  if (!tableExists(db, TABLES.progress)) return;
  db.prepare(`DELETE FROM ${TABLES.progress} WHERE version = ?`).run(version);
}
