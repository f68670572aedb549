/**
 * Recovering from a migration that stopped part-way, through the real CLI on SQLite: `up --resume`,
 * `repair` (settle a failed row, realign a checksum) and crashes at run boundaries
 * (`MIGRATOR_TEST_FAULT`, a SIGKILL where the test says).
 */
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import type { ExpectStatic } from 'vitest';
import { EXIT, Project, appliedVersions, audit, checksumOf, dbState, history, jsonDoc, tableExists, unexpectedStderr } from './helpers.js';

/** Statement 2 of 3 fails: the table it inserts into does not exist. Statement 1 is kept (transaction off). */
const FAILING = '-- migrate:transaction off\nCREATE TABLE a (x INTEGER);\nINSERT INTO missing VALUES (1);\nINSERT INTO a VALUES (3);\n';
/** The same file with its failing statement fixed; the applied prefix (statement 1) is unchanged. */
const FIXED = FAILING.replace('INSERT INTO missing VALUES (1);', 'INSERT INTO a VALUES (2);');

interface StatusDoc {
  readonly ok: boolean;
  readonly migrations: ReadonlyArray<{ readonly version: string; readonly state: string }>;
  readonly problems: ReadonlyArray<{ readonly code: string; readonly details?: Record<string, unknown> }>;
}

async function status(project: Project): Promise<StatusDoc> {
  const result = await project.run(['status', '--json']);
  if (result.code !== EXIT.ok) throw new Error(`status exited ${String(result.code)}: ${result.stderr}`);
  return jsonDoc<StatusDoc>(result.stdout);
}

const stateOf = (doc: StatusDoc, version: string): string | undefined => doc.migrations.find((m) => m.version === version)?.state;

/** Writes to the project's database by hand, as an operator fixing it would. */
function byHand(project: Project, sql: string): void {
  const db = new Database(project.dbPath, { fileMustExist: true });
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

const rowsOfA = (db: Database.Database): number[] => (db.prepare('SELECT x FROM a ORDER BY rowid').all() as Array<{ x: number }>).map((r) => r.x);

/** V1 (FAILING) applied up to its failure: statement 1 done, the row failed. */
async function failedProject(onTestFinished: (fn: () => void) => void, expect: ExpectStatic): Promise<Project> {
  const project = new Project({ onTestFinished });
  project.write('V1__partial.sql', FAILING);
  const result = await project.run(['up']);
  expect(result.code, result.stderr).toBe(EXIT.migrationFailed);
  expect(result.stderr).toMatch(/^error\[E_MIGRATION_FAILED\]: .*statement 2 of 3 .*no such table: missing/m);
  expect(result.stderr).toMatch(/V1__partial\.sql:3:1\b/);
  expect(result.stderr).toContain('migrate up --resume');
  expect(unexpectedStderr(result.stderr)).toEqual([]);
  return project;
}

describe.concurrent('a journaled migration that failed part-way', () => {
  it('blocks up (exit 6), then up --resume runs only the statements after the applied prefix', async ({ expect, onTestFinished }) => {
    const project = await failedProject(onTestFinished, expect);

    const failed = await status(project);
    expect(stateOf(failed, '1')).toBe('failed');
    expect(failed.ok).toBe(false);
    expect(failed.problems.map((p) => p.code)).toEqual(['E_FAILED_MIGRATION']);
    expect(failed.problems[0]?.details).toMatchObject({ statementsApplied: 1, statementsTotal: 3, direction: 'up' });
    project.withDb((db) => {
      expect(tableExists(db, 'a')).toBe(true);
      expect(history(db).map((r) => `${r.version} ${r.state}`)).toEqual(['1 failed']);
    });

    const blocked = await project.run(['up']);
    expect(blocked.code, blocked.stderr).toBe(EXIT.stateDisagrees);
    expect(blocked.stderr).toMatch(/^error\[E_FAILED_MIGRATION\]: .*version 1\b/m);
    expect(blocked.stderr).toMatch(/^ {2}hint: .*--resume/m);
    expect(blocked.stderr).toMatch(/^ {2}hint: .*migrate repair/m);

    // Statements after the applied prefix may change before a resume; plain up still refuses.
    project.write('V1__partial.sql', FIXED);
    expect((await project.run(['up'])).code).toBe(EXIT.stateDisagrees);

    const resumed = await project.run(['up', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
    // Statement 1 (CREATE TABLE a) did not run again: it would have failed with "already exists".
    project.withDb((db) => {
      expect(rowsOfA(db)).toEqual([2, 3]);
      expect(history(db).map((r) => `${r.version} ${r.state}`)).toEqual(['1 applied']);
      expect(history(db)[0]?.checksum).toBe(checksumOf(FIXED));
      const detail = db.prepare(`SELECT detail FROM migrator_audit WHERE event = 'migration.applied' AND version = '1'`).get() as { detail: string };
      expect(JSON.parse(detail.detail)).toMatchObject({ resumedFrom: 2, statements: 3, transactional: false });
    });
    expect(stateOf(await status(project), '1')).toBe('applied');
    expect((await project.run(['validate'])).code).toBe(EXIT.ok);
  });

  it('refuses to resume when the applied statement was edited (exit 6) and changes nothing', async ({ expect, onTestFinished }) => {
    const project = await failedProject(onTestFinished, expect);
    project.write('V1__partial.sql', FIXED.replace('CREATE TABLE a (x INTEGER);', 'CREATE TABLE a (x INTEGER, y TEXT);'));
    const before = dbState(project.dbPath);

    const result = await project.run(['up', '--resume']);
    expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
    expect(result.stderr).toMatch(/^error\[E_FAILED_MIGRATION\]: cannot resume version 1\b/m);
    const after = dbState(project.dbPath);
    expect(after.schema).toEqual(before.schema);
    expect(after.history).toEqual(before.history);
    expect(stateOf(await status(project), '1')).toBe('failed');
  });

  it('repair --as rolled-back settles it (audited); after the partial table is dropped by hand, up runs it again', async ({ expect, onTestFinished }) => {
    const project = await failedProject(onTestFinished, expect);

    const repaired = await project.run(['repair', '--version', '1', '--as', 'rolled-back']);
    expect(repaired.code, repaired.stderr).toBe(EXIT.ok);
    expect(repaired.stdout).toContain('version 1: failed -> rolled_back');
    project.withDb((db) => {
      expect(history(db).map((r) => `${r.version} ${r.state}`)).toEqual(['1 rolled_back']);
      expect(audit(db).filter((r) => r.event === 'repair').map((r) => `${r.version} ${r.outcome}`)).toEqual(['1 success']);
    });
    expect(stateOf(await status(project), '1')).toBe('pending');

    // Settling it again is refused: it is no longer failed.
    expect((await project.run(['repair', '--version', '1', '--as', 'rolled-back'])).code).toBe(EXIT.usage);

    byHand(project, 'DROP TABLE a');
    project.write('V1__partial.sql', FIXED);
    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
    project.withDb((db) => {
      expect(rowsOfA(db)).toEqual([2, 3]);
      expect(appliedVersions(db)).toEqual(['1']);
    });
  });

  it('repair --as applied accepts the database as fixed by hand', async ({ expect, onTestFinished }) => {
    const project = await failedProject(onTestFinished, expect);
    byHand(project, 'INSERT INTO a VALUES (2); INSERT INTO a VALUES (3);');
    project.write('V1__partial.sql', FIXED);

    const repaired = await project.run(['repair', '--version', 'V1', '--as', 'applied']);
    expect(repaired.code, repaired.stderr).toBe(EXIT.ok);
    expect(repaired.stdout).toContain('version 1: failed -> applied');
    project.withDb((db) => {
      expect(history(db).map((r) => `${r.version} ${r.state} ${r.checksum}`)).toEqual([`1 applied ${checksumOf(FIXED)}`]);
    });
    expect((await project.run(['validate'])).code).toBe(EXIT.ok);
    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
    project.withDb((db) => expect(rowsOfA(db)).toEqual([2, 3]));
  });
});

describe.concurrent('repair', () => {
  it('realigns the checksum of an edited applied file: validate exits 6, then 0', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const original = 'CREATE TABLE a (x);\n';
    const edited = '-- documented later\nCREATE TABLE a (x);\n';
    project.write('V1__a.sql', original);
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V1__a.sql', edited);

    const invalid = await project.run(['validate']);
    expect(invalid.code, invalid.stderr).toBe(EXIT.stateDisagrees);
    expect(invalid.stderr).toMatch(/^error\[E_CHECKSUM_MISMATCH\]: /m);

    const repaired = await project.run(['repair']);
    expect(repaired.code, repaired.stderr).toBe(EXIT.ok);
    expect(repaired.stdout).toContain(`version 1: recorded checksum ${checksumOf(original)} -> ${checksumOf(edited)}`);
    project.withDb((db) => {
      expect(history(db).map((r) => `${r.version} ${r.state} ${r.checksum}`)).toEqual([`1 applied ${checksumOf(edited)}`]);
      expect(audit(db).filter((r) => r.event === 'repair').map((r) => r.version)).toEqual(['1']);
    });

    const valid = await project.run(['validate']);
    expect(valid.code, valid.stderr).toBe(EXIT.ok);

    const again = await project.run(['repair']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain('Nothing to repair');
    expect(project.withDb(audit).filter((r) => r.event === 'repair')).toHaveLength(1);
  });

  it('repair --version V realigns that version only, and refuses a version that is not applied', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n-- reviewed\nSELECT 1;\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n-- reviewed\nSELECT 2;\n');

    const one = await project.run(['repair', '--version', '1']);
    expect(one.code, one.stderr).toBe(EXIT.ok);
    expect(one.stdout).toMatch(/version 1: recorded checksum sha256v1:\w+ -> sha256v1:\w+/);
    expect(one.stdout).not.toContain('version 2:');
    const validate = await project.run(['validate']);
    expect(validate.code).toBe(EXIT.stateDisagrees);
    expect(validate.stderr).toMatch(/^error\[E_CHECKSUM_MISMATCH\]: version 2 /m);
    expect(validate.stderr).not.toMatch(/version 1 /);

    const unknown = await project.run(['repair', '--version', '9']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/^error\[E_UNKNOWN_TARGET\]: version 9 is not applied/m);
  });

  it.for([
    { name: '--as without --version', args: ['repair', '--as', 'applied'] },
    { name: 'an unknown --as', args: ['repair', '--version', '1', '--as', 'maybe'] },
  ])('rejects $name with exit 2, changing nothing', async ({ args }, { expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const before = dbState(project.dbPath);

    const result = await project.run(args);
    expect(result.code, result.stderr).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^error\[E_USAGE\]: /m);
    expect(dbState(project.dbPath)).toEqual(before);
  });
});

describe.concurrent('a run killed at a boundary (MIGRATOR_TEST_FAULT)', () => {
  function twoMigrations(project: Project): void {
    project.write('V1__a.sql', 'CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
  }

  /** Runs `up` and expects it to converge fast: a dead holder's lease on this host is taken over at once. */
  async function converges(project: Project, expect: ExpectStatic): Promise<void> {
    const started = performance.now();
    const up = await project.run(['up'], { timeoutMs: 20_000 });
    const elapsedMs = performance.now() - started;
    expect(up.code, up.stderr).toBe(EXIT.ok);
    expect(elapsedMs, 'waited for the dead run\'s 60 s lease').toBeLessThan(10_000);
    project.withDb((db) => {
      expect(appliedVersions(db).sort()).toEqual(['1', '2']);
      expect(tableExists(db, 'a') && tableExists(db, 'b')).toBe(true);
    });
  }

  it('commit.before: the migration in flight is rolled back; up converges', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    twoMigrations(project);

    const crashed = await project.run(['up'], { env: { MIGRATOR_TEST_FAULT: 'commit.before' } });
    expect(crashed.code).toBeNull();
    expect(crashed.signal).toBe('SIGKILL');

    const doc = await status(project);
    expect(stateOf(doc, '1')).toBe('pending');
    expect(stateOf(doc, '2')).toBe('pending');
    project.withDb((db) => {
      expect(tableExists(db, 'a')).toBe(false);
      expect(history(db)).toEqual([]);
    });

    await converges(project, expect);
  });

  it('commit.after: the committed migration stays applied, the next one pending; up converges', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    twoMigrations(project);

    const crashed = await project.run(['up'], { env: { MIGRATOR_TEST_FAULT: 'commit.after' } });
    expect(crashed.code).toBeNull();
    expect(crashed.signal).toBe('SIGKILL');

    const doc = await status(project);
    expect(stateOf(doc, '1')).toBe('applied');
    expect(stateOf(doc, '2')).toBe('pending');

    await converges(project, expect);
    project.withDb((db) => expect(history(db).map((r) => `${r.version} ${r.batch}`)).toEqual(['1 1', '2 2']));
  });

  it('statement.before in a transaction-off migration: left in_progress, up --resume finishes it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', '-- migrate:transaction off\nCREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);\n');

    // Killed just before statement 2, after statement 1 and its progress were recorded.
    const crashed = await project.run(['up'], { env: { MIGRATOR_TEST_FAULT: 'statement.before:2' } });
    expect(crashed.code).toBeNull();
    expect(crashed.signal).toBe('SIGKILL');
    const doc = await status(project);
    expect(stateOf(doc, '1')).toBe('in_progress');
    expect(doc.problems[0]?.details).toMatchObject({ state: 'in_progress', statementsApplied: 1, statementsTotal: 3 });
    expect((await project.run(['up'])).code).toBe(EXIT.stateDisagrees);

    const started = performance.now();
    const resumed = await project.run(['up', '--resume'], { timeoutMs: 20_000 });
    expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
    expect(performance.now() - started).toBeLessThan(10_000);
    project.withDb((db) => {
      expect(rowsOfA(db)).toEqual([1, 2]);
      expect(appliedVersions(db)).toEqual(['1']);
    });
  });
});

describe.concurrent('metadata someone dropped', () => {
  it('is put back (table and append-only triggers) by the next up that has work, instead of an internal error', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x INTEGER);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    byHand(project, 'DROP TABLE migrator_audit');
    project.write('V2__b.sql', 'CREATE TABLE b (x INTEGER);\n');

    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    project.withDb((db) => {
      expect(appliedVersions(db)).toEqual(['1', '2']);
      expect(audit(db).map((row) => row.event)).toEqual(['run.started', 'migration.applied', 'run.finished']);
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'migrator_audit'").all();
      expect(triggers).toHaveLength(2);
    });
  });
});
