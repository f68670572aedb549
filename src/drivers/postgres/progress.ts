/** The `ctx.batch` checkpoints of the PostgreSQL driver (migrator_progress, docs/batches.md). */
import type { BatchCheckpoint } from '../../core/ports.js';
import { PROGRESS_COLUMNS, TABLES } from '../../core/metadata.js';
import { existing } from './metadata.js';
import type { PgSession } from './session.js';

// bigint arrives as a string from node-postgres; float8 as a number (exact below 2^53).
const SELECT = Object.entries(PROGRESS_COLUMNS)
  .map(([field, column]) => `${column}${column === 'rows_done' || column === 'batches' ? '::float8' : ''} AS "${field}"`).join(', ');

/** Implements `Driver.readCheckpoints`. */
export async function readCheckpoints(session: PgSession, version: string): Promise<BatchCheckpoint[]> {
  const [exists] = await existing(session, TABLES.progress);
  if (!exists) return [];
  const { rows } = await session.query<BatchCheckpoint & Record<string, unknown>>(`SELECT ${SELECT} FROM ${session.table(TABLES.progress)} WHERE version = $1 ORDER BY name`, [version]);
  return rows;
}

/** Implements `Driver.saveCheckpoint` (the caller fences it). */
export async function saveCheckpoint(session: PgSession, checkpoint: BatchCheckpoint): Promise<void> {
  const fields = Object.keys(PROGRESS_COLUMNS) as Array<keyof BatchCheckpoint>;
  const columns = Object.values(PROGRESS_COLUMNS);
  const updates = columns.filter((c) => c !== 'version' && c !== 'name').map((c) => `${c} = excluded.${c}`);
  await session.query(`INSERT INTO ${session.table(TABLES.progress)} (${columns.join(', ')}) VALUES (${fields.map((_, i) => `$${i + 1}`).join(', ')})
    ON CONFLICT (version, name) DO UPDATE SET ${updates.join(', ')}`, fields.map((f) => checkpoint[f]));
}

/** Implements `Driver.clearCheckpoints`. */
export async function clearCheckpoints(session: PgSession, version: string): Promise<void> {
  const [exists] = await existing(session, TABLES.progress);
  if (exists) await session.query(`DELETE FROM ${session.table(TABLES.progress)} WHERE version = $1`, [version]);
}
