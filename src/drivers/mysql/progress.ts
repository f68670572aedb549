/** The `ctx.batch` checkpoints of the MySQL driver (migrator_progress, docs/batches.md). */
import type { BatchCheckpoint } from '../../core/ports.js';
import { PROGRESS_COLUMNS, TABLES } from '../../core/metadata.js';
import { existingTables } from './metadata.js';
import type { MysqlSession, SqlValue } from './session.js';

const quote = (column: string): string => `\`${column}\``;
const SELECT = Object.entries(PROGRESS_COLUMNS).map(([field, column]) => `${quote(column)} AS ${quote(field)}`).join(', ');

/** Implements `Driver.readCheckpoints`. */
export async function readCheckpoints(session: MysqlSession, version: string): Promise<BatchCheckpoint[]> {
  if (!(await existingTables(session, [TABLES.progress])).has(TABLES.progress)) return [];
  const rows = await session.rows<BatchCheckpoint>(`SELECT ${SELECT} FROM ${TABLES.progress} WHERE version = ? ORDER BY name`, [version]);
  // BIGINT columns may arrive as strings (supportBigNumbers): counts are numbers in the port.
  return rows.map((row) => ({ ...row, rows: Number(row.rows), batches: Number(row.batches) }));
}

/** Implements `Driver.saveCheckpoint` (the caller fences it). Values bound twice, as in writeHistory. */
export async function saveCheckpoint(session: MysqlSession, checkpoint: BatchCheckpoint): Promise<void> {
  const fields = Object.keys(PROGRESS_COLUMNS) as Array<keyof BatchCheckpoint>;
  const updated = fields.filter((f) => f !== 'version' && f !== 'name');
  const value = (f: keyof BatchCheckpoint): SqlValue => checkpoint[f];
  await session.run(`INSERT INTO ${TABLES.progress} (${fields.map((f) => quote(PROGRESS_COLUMNS[f])).join(', ')}) VALUES (${fields.map(() => '?').join(', ')})
    ON DUPLICATE KEY UPDATE ${updated.map((f) => `${quote(PROGRESS_COLUMNS[f])} = ?`).join(', ')}`, [...fields.map(value), ...updated.map(value)]);
}

/** Implements `Driver.clearCheckpoints`. */
export async function clearCheckpoints(session: MysqlSession, version: string): Promise<void> {
  if ((await existingTables(session, [TABLES.progress])).has(TABLES.progress)) await session.run(`DELETE FROM ${TABLES.progress} WHERE version = ?`, [version]);
}
