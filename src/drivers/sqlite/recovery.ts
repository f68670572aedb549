import { existsSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { MigratorError } from '../../core/errors.js';
import type { RecoveryPoint } from '../../core/ports.js';

/**
 * Implements `Driver.recoveryPoint`: SQLite has no log position to return to, so with `makeCopy`
 * the online backup API copies the database next to it, as `<file>.<UTC time to the ms>.bak`.
 */
export async function recoveryPoint(db: Database.Database, file: string, makeCopy: boolean, now: Date): Promise<RecoveryPoint> {
  if (file === ':memory:') return { kind: 'none', value: null, detail: 'an in-memory database cannot be backed up' };
  if (!makeCopy) return { kind: 'none', value: null, detail: 'SQLite has no log position; a backup copy is made only in protected environments' };
  // Milliseconds, and a counter if that name is taken: a copy is never overwritten by a later run's.
  const stamp = now.toISOString().replace(/[-:]/g, '');
  let copy = `${file}.${stamp}.bak`;
  for (let n = 2; existsSync(copy); n++) copy = `${file}.${stamp}-${n}.bak`;
  try {
    await db.backup(copy);
  } catch (error) {
    // Asked for in a protected run: no copy, no run.
    throw new MigratorError('E_BACKUP_FAILED', `the backup copy ${copy} could not be written, so the run did not start: ${error instanceof Error ? error.message : String(error)}`, {
      hint: `Make room (or fix the permissions) in ${path.dirname(copy)}, then run again. A protected environment never migrates without its backup.`,
      cause: error,
    });
  }
  return { kind: 'backup_file', value: copy, detail: `backup copy ${path.basename(copy)} next to the database: to return to just before this run, stop the application and copy it over ${path.basename(file)}` };
}
