/**
 * `Driver.diagnose` for SQLite: there are no grants, so the privileges are the file system's (may
 * this process read the file, write it, and write its directory, where SQLite keeps its journal),
 * the size is the file's and free space is that of the file's file system. Nothing is opened for
 * writing: access(2) answers for this process's user (root may write anything not mounted read-only).
 */
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Diagnosis, PrivilegeCheck } from '../../core/ports.js';
import { measure, unknown } from '../shared/disk.js';

/** Implements `Driver.diagnose` for the database at `file` (`:memory:` has no file to judge). */
export async function diagnoseSqlite(db: Database.Database, file: string): Promise<Diagnosis> {
  const server = `SQLite ${String(db.prepare('SELECT sqlite_version()').pluck().get())}`;
  const user = osUser();
  if (file === ':memory:') return { server, user, privileges: [], storage: unknown(undefined, 'an in-memory database has no file') };
  const stat = await fs.stat(file).catch(() => undefined);
  const dir = path.dirname(file);
  return {
    server,
    user,
    privileges: stat === undefined ? await missingFile(file, dir, user) : await existingFile(file, dir, user, stat),
    // The -wal file holds committed pages not yet copied back into the database.
    storage: await measure(dir, stat === undefined ? 0 : stat.size + await fs.stat(`${file}-wal`).then((wal) => wal.size, () => 0)),
  };
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // A uid without a passwd entry (containers): name it by number.
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

async function may(target: string, mode: number): Promise<boolean> {
  return fs.access(target, mode).then(() => true, () => false);
}

/** Owner and mode of `target`, to say what to change. */
async function ownership(target: string): Promise<string> {
  const stat = await fs.stat(target).catch(() => undefined);
  return stat === undefined ? '' : ` (now owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})`;
}

async function fileCheck(target: string, privilege: string, neededFor: 'read' | 'migrate', ok: boolean, user: string, why: string): Promise<PrivilegeCheck> {
  if (ok) return { privilege, neededFor, ok, detail: 'granted' };
  return { privilege, neededFor, ok, detail: `${user} may not: ${why}`, fix: `chmod/chown ${target} so that ${user} may ${privilege.split(' ')[0]} it${await ownership(target)}, or run migrate as its owner` };
}

async function existingFile(file: string, dir: string, user: string, stat: { isFile(): boolean }): Promise<PrivilegeCheck[]> {
  if (!stat.isFile()) return [{ privilege: `read ${file}`, neededFor: 'read', ok: false, detail: `${file} is not a file` }];
  return [
    await fileCheck(file, `read ${file}`, 'read', await may(file, constants.R_OK), user, 'every command reads the metadata tables in it'),
    await fileCheck(file, `write ${file}`, 'migrate', await may(file, constants.W_OK), user, 'migrations and their history are written to it'),
    await fileCheck(dir, `write ${dir}`, 'migrate', await may(dir, constants.W_OK | constants.X_OK), user, 'SQLite creates its rollback journal next to the database while writing'),
  ];
}

async function missingFile(file: string, dir: string, user: string): Promise<PrivilegeCheck[]> {
  if (!(await fs.stat(dir).then((d) => d.isDirectory(), () => false))) {
    return [{ privilege: `write ${dir}`, neededFor: 'migrate', ok: false, detail: `the directory ${dir} does not exist: the first writing run cannot create ${path.basename(file)}`, fix: `mkdir -p ${dir}, or fix the database path` }];
  }
  return [
    { privilege: `read ${file}`, neededFor: 'read', ok: true, detail: 'the file does not exist yet: it reads as an empty database' },
    await fileCheck(dir, `write ${dir}`, 'migrate', await may(dir, constants.W_OK | constants.X_OK), user, `the first writing run creates ${path.basename(file)} there, and SQLite keeps its journal next to it`),
  ];
}
