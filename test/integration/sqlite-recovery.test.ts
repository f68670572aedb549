/**
 * SQLite's recovery point on a real better-sqlite3 database: each protected run's copy is a new
 * file next to the database, `<file>.<UTC time to the ms>.bak`, and a copy made in the same
 * millisecond as an earlier one gets `-2`, `-3`, ... instead of overwriting it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { recoveryPoint } from '../../src/drivers/sqlite/recovery.js';

/** Names of the tables of a copy, opened read-only. */
function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

const digest = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('SQLite recovery point', () => {
  it('copies made in the same millisecond never overwrite each other: <stamp>.bak, then -2, -3', async ({ expect, onTestFinished }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-recovery-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'app.db');
    const db = new Database(file);
    onTestFinished(() => void db.close());
    db.exec('CREATE TABLE first (id INTEGER)');
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67));
    const stamp = '20260102T030405.067Z';

    const one = await recoveryPoint(db, file, true, now);
    expect(one).toMatchObject({ kind: 'backup_file', value: `${file}.${stamp}.bak` });
    expect(one.detail).toContain(`app.db.${stamp}.bak`);
    const firstBytes = digest(`${file}.${stamp}.bak`);

    db.exec('CREATE TABLE second (id INTEGER)');
    const two = await recoveryPoint(db, file, true, now);
    expect(two).toMatchObject({ kind: 'backup_file', value: `${file}.${stamp}-2.bak` });
    expect(two.value).not.toBe(one.value);

    db.exec('CREATE TABLE third (id INTEGER)');
    const three = await recoveryPoint(db, file, true, now);
    expect(three).toMatchObject({ kind: 'backup_file', value: `${file}.${stamp}-3.bak` });

    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.bak')).sort()).toEqual([
      `app.db.${stamp}-2.bak`,
      `app.db.${stamp}-3.bak`,
      `app.db.${stamp}.bak`,
    ]);
    // Each copy holds the schema as it was when it was made; the first was not touched since.
    expect(digest(`${file}.${stamp}.bak`), 'the first copy was rewritten').toBe(firstBytes);
    expect(tablesOf(`${file}.${stamp}.bak`)).toEqual(['first']);
    expect(tablesOf(`${file}.${stamp}-2.bak`)).toEqual(['first', 'second']);
    expect(tablesOf(`${file}.${stamp}-3.bak`)).toEqual(['first', 'second', 'third']);
  });

  it('another millisecond gets a name of its own, without a counter', async ({ expect, onTestFinished }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-recovery-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'app.db');
    const db = new Database(file);
    onTestFinished(() => void db.close());
    db.exec('CREATE TABLE t (id INTEGER)');
    const first = await recoveryPoint(db, file, true, new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)));
    const next = await recoveryPoint(db, file, true, new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 68)));
    expect([first.value, next.value]).toEqual([`${file}.20260102T030405.067Z.bak`, `${file}.20260102T030405.068Z.bak`]);
  });
});
