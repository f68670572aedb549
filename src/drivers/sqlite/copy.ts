/**
 * A throwaway copy of a SQLite database for `validate --rehearse`: the online backup API copies a
 * consistent snapshot (WAL included) into a temporary directory, which `dispose` deletes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MigratorError } from '../../core/errors.js';
import type { Driver } from '../../core/ports.js';
import { openSqlite } from './driver.js';

export interface SqliteCopy {
  readonly driver: Driver;
  /** Where the copy lives (deleted by `dispose`). */
  readonly file: string;
  dispose(): Promise<void>;
}

/** Copies `file` (a missing file or `:memory:` gives an empty database) and opens the copy read-write. */
export async function openSqliteCopy(file: string): Promise<SqliteCopy> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'migrator-rehearsal-'));
  const copy = path.join(directory, 'rehearsal.db');
  const remove = (): void => rmSync(directory, { recursive: true, force: true });
  try {
    if (file !== ':memory:' && existsSync(file)) {
      const source = new Database(file, { readonly: true, fileMustExist: true });
      try {
        await source.backup(copy);
      } finally {
        source.close();
      }
    }
  } catch (error) {
    remove();
    throw new MigratorError('E_CONNECT', `cannot copy SQLite database ${file} for the rehearsal: ${error instanceof Error ? error.message : String(error)}`, {
      hint: `Check that ${file} is a SQLite database you may read, and that ${os.tmpdir()} has room for a copy of it.`,
      cause: error,
    });
  }
  let driver: Driver;
  try {
    driver = await openSqlite({ path: copy, readOnly: false });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    driver,
    file: copy,
    async dispose() {
      await driver.close();
      remove();
    },
  };
}
