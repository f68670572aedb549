/**
 * What the user sees when something is wrong: the exit code of the contract, an `error[E_CODE]`
 * block naming the file (and line), and a database that the refusal left untouched.
 */
import path from 'node:path';
import { describe, it } from 'vitest';
import {
  EXIT, Project, STACK_FRAME, appSchema, appliedVersions, audit, checksumOf, dbState, history, jsonDoc, tableExists,
  unexpectedStderr,
} from './helpers.js';

describe.concurrent('invalid migration files (exit 5, nothing created)', () => {
  for (const other of ['V01__b.sql', 'V1.0__c.sql']) {
    it(`rejects V1__a.sql next to ${other} as a duplicate version, naming both files`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
      project.write(other, 'CREATE TABLE b (x);\n');
      const before = project.listing();

      const result = await project.run(['up']);
      expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
      expect(result.stderr).toMatch(/^error\[E_DUPLICATE_VERSION\]: /m);
      expect(result.stderr).toContain('V1__a.sql');
      expect(result.stderr).toContain(other);
      expect(unexpectedStderr(result.stderr)).toEqual([]);
      expect(project.dbExists()).toBe(false);
      expect(project.listing()).toEqual(before);
    });
  }

  it('rejects duplicate versions in validate as well, creating no database', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V01__b.sql', 'CREATE TABLE b (x);\n');
    const result = await project.run(['validate']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stderr).toContain('V1__a.sql');
    expect(result.stderr).toContain('V01__b.sql');
    expect(project.dbExists()).toBe(false);
  });

  it('rejects an unterminated string literal with file:line, before running anything', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__ok.sql', 'CREATE TABLE ok (x);\n');
    project.write('V2__x.sql', "CREATE TABLE a (x TEXT);\n\nINSERT INTO a VALUES ('oops);\nCREATE TABLE b (x);\n");

    for (const args of [['up'], ['validate']]) {
      const result = await project.run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(EXIT.invalidFiles);
      expect(result.stderr).toMatch(/^error\[E_PARSE\]: .*unterminated string/m);
      expect(result.stderr).toMatch(/^ {2}at: migrations[/\\]V2__x\.sql:3(?::\d+)?$/m);
    }
    // Every file is parsed before the first statement runs: V1 did not run either.
    expect(project.dbExists()).toBe(false);
  });

  it('rejects an unterminated dollar quote (PostgreSQL) with file:line, before connecting at all', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__fn.sql', "CREATE FUNCTION f() RETURNS int AS $body$\n  SELECT 1;\n$body$ LANGUAGE sql;\n\nDO $$\nBEGIN\n  RAISE NOTICE 'never closed';\nEND;\n");
    // Nothing listens on port 1: exit 5 rather than 4 shows the files were checked before any connection.
    const result = await project.run(['up', '--url', 'postgres://app@127.0.0.1:1/db']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stderr).toMatch(/^error\[E_PARSE\]: .*unterminated dollar-quoted string \$\$/m);
    expect(result.stderr).toMatch(/^ {2}at: migrations[/\\]V1__fn\.sql:5:4$/m);
  });

  it('rejects an unterminated block comment with file:line', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__x.sql', 'CREATE TABLE a (x);\n/* never closed\nCREATE TABLE b (x);\n');
    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stderr).toMatch(/^error\[E_PARSE\]: .*unterminated block comment/m);
    expect(result.stderr).toMatch(/V1__x\.sql:2\b/);
    expect(project.dbExists()).toBe(false);
  });
});

describe.concurrent('database disagrees with the files (exit 6)', () => {
  it('validate names the version and both checksums when an applied file was edited', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    // A Flyway-layout file (no sections): its checksum covers the whole text.
    const original = '-- the a table\nCREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n';
    project.write('V1__first.sql', '-- migrate:up\nCREATE TABLE first (x);\n-- migrate:down\nDROP TABLE first;\n');
    project.write('V2__a.sql', original);
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const edited = original.replace('INSERT INTO a VALUES (1);', 'INSERT INTO a VALUES (2);');
    project.write('V2__a.sql', edited);
    const oldSum = checksumOf(original);
    const newSum = checksumOf(edited);
    expect(project.withDb(history).find((row) => row.version === '2')?.checksum).toBe(oldSum);
    const before = dbState(project.dbPath);

    const result = await project.run(['validate']);
    expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
    expect(result.stderr).toMatch(/^error\[E_CHECKSUM_MISMATCH\]: .*version 2\b/m);
    expect(result.stderr).toContain(oldSum);
    expect(result.stderr).toContain(newSum);
    expect(result.stderr).toContain('V2__a.sql');

    const json = await project.run(['validate', '--json']);
    expect(json.code).toBe(EXIT.stateDisagrees);
    const doc = jsonDoc<{ ok: boolean; problems: Array<{ code: string; message: string }> }>(json.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.problems).toHaveLength(1);
    expect(doc.problems[0]?.code).toBe('E_CHECKSUM_MISMATCH');
    expect(doc.problems[0]?.message).toContain(oldSum);
    expect(doc.problems[0]?.message).toContain(newSum);

    // up refuses too, and nothing is written by either.
    const up = await project.run(['up']);
    expect(up.code).toBe(EXIT.stateDisagrees);
    expect(dbState(project.dbPath)).toEqual(before);
  });

  it('validate reports drift in the up section of a sectioned file with the recorded and the new checksum', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const original = '-- migrate:up\nCREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n\n-- migrate:down\nDROP TABLE a;\n';
    project.write('V1__a.sql', original);
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const recorded = project.withDb(history)[0]?.checksum ?? '';
    expect(recorded).toMatch(/^sha256v1:[0-9a-f]{64}$/);
    project.write('V1__a.sql', original.replace('VALUES (1)', 'VALUES (2)'));

    const result = await project.run(['validate']);
    expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
    expect(result.stderr).toMatch(/^error\[E_CHECKSUM_MISMATCH\]: .*version 1\b/m);
    const sums = new Set(result.stderr.match(/sha256v1:[0-9a-f]{64}/g));
    expect(sums.has(recorded)).toBe(true);
    expect(sums.size).toBe(2);
  });

  it('up refuses an out-of-order pending version, naming it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V3__c.sql', 'CREATE TABLE c (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
    const before = dbState(project.dbPath);

    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
    expect(result.stderr).toMatch(/^error\[E_OUT_OF_ORDER\]: .*version 2\b/m);
    expect(result.stderr).toContain('V2__b.sql');
    expect(dbState(project.dbPath)).toEqual(before);
    expect(project.withDb((db) => tableExists(db, 'b'))).toBe(false);
  });

  it('status shows a version applied by a newer checkout as UNKNOWN (exit 0); up refuses with exit 6', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    for (const v of [1, 2, 3]) project.write(`V${v}__t${v}.sql`, `CREATE TABLE t${v} (x);\n`);
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.remove('V3__t3.sql');
    const before = dbState(project.dbPath);

    const status = await project.run(['status']);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    expect(status.stdout).toMatch(/^3\s+t3\s+UNKNOWN\b/m);
    const json = await project.run(['status', '--json']);
    expect(json.code).toBe(EXIT.ok);
    const doc = jsonDoc<{ migrations: Array<{ version: string; state: string }> }>(json.stdout);
    expect(doc.migrations.find((m) => m.version === '3')?.state).toBe('unknown');

    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.stateDisagrees);
    expect(up.stderr).toMatch(/^error\[E_[A-Z_]+\]: .*version 3\b/m);
    expect(up.stderr).toMatch(/newer checkout/);
    expect(dbState(project.dbPath)).toEqual(before);
  });
});

describe.concurrent('a migration that fails (exit 1)', () => {
  it('rolls back the failing migration whole, keeps the earlier one, and points at file:line', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V2__b.sql', '-- two statements, the second one fails\nCREATE TABLE b (x);\n\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE c (x);\n');

    const result = await project.run(['up']);
    expect(result.code, result.stderr).toBe(EXIT.migrationFailed);
    expect(result.stderr).toMatch(/^error\[E_MIGRATION_FAILED\]: /m);
    expect(result.stderr).toMatch(/V2__b\.sql:4\b/);
    expect(result.stderr).toContain('missing_table');
    expect(result.stdout).toMatch(/applied\s+1\b/);
    expect(unexpectedStderr(result.stderr)).toEqual([]);

    project.withDb((db) => {
      expect(appliedVersions(db)).toEqual(['1']);
      expect(history(db).map((row) => row.version)).not.toContain('2');
      expect(tableExists(db, 'a')).toBe(true);
      expect(tableExists(db, 'b')).toBe(false);
      expect(tableExists(db, 'c')).toBe(false);
      expect(audit(db).filter((row) => row.event === 'migration.failed').map((row) => row.version)).toEqual(['2']);
    });

    // The lock was released: the next run gets to the same failure, not a lock timeout.
    const again = await project.run(['up', '--lock-timeout', '1s']);
    expect(again.code, again.stderr).toBe(EXIT.migrationFailed);
  });

  it('prints no stack trace without --verbose, and one with it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__b.sql', 'INSERT INTO missing_table VALUES (1);\n');

    const quiet = await project.run(['up']);
    expect(quiet.code).toBe(EXIT.migrationFailed);
    expect(quiet.stderr).toContain('error[E_MIGRATION_FAILED]');
    expect(quiet.stderr).not.toMatch(STACK_FRAME);
    expect(unexpectedStderr(quiet.stderr)).toEqual([]);

    const verbose = await project.run(['up', '--verbose']);
    expect(verbose.code).toBe(EXIT.migrationFailed);
    expect(verbose.stderr).toContain('error[E_MIGRATION_FAILED]');
    expect(verbose.stderr).toMatch(STACK_FRAME);

    // Same for an error raised before any database work.
    const connect = await project.run(['up', '--url', 'sqlite:./missing/x.db']);
    expect(connect.code).toBe(EXIT.connect);
    expect(connect.stderr).not.toMatch(STACK_FRAME);
    const connectVerbose = await project.run(['--verbose', 'up', '--url', 'sqlite:./missing/x.db']);
    expect(connectVerbose.code).toBe(EXIT.connect);
    expect(connectVerbose.stderr).toMatch(STACK_FRAME);
  });
});

describe.concurrent('refusals', () => {
  it('down exits 9 on a migration marked -- migrate:irreversible, changing nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', '-- migrate:up\nCREATE TABLE a (x);\n-- migrate:down\nDROP TABLE a;\n');
    project.write('V2__b.sql', '-- migrate:irreversible\n-- migrate:up\nCREATE TABLE b (x);\n-- migrate:down\nDROP TABLE b;\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const before = dbState(project.dbPath);

    for (const args of [['down'], ['down', '--steps', '2'], ['down', '--to', '0']]) {
      const result = await project.run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(EXIT.notPermitted);
      expect(result.stderr).toMatch(/^error\[E_IRREVERSIBLE\]: .*version 2\b/m);
      expect(result.stderr).toContain('V2__b.sql');
      expect(dbState(project.dbPath)).toEqual(before);
    }
    expect(project.withDb(appSchema)).toEqual(['table a', 'table b']);
  });

  it('down exits 9 on a migration with no down at all, changing nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    project.write('V2__b.sql', 'CREATE TABLE b (x);\n');
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    const before = dbState(project.dbPath);

    const result = await project.run(['down']);
    expect(result.code, result.stderr).toBe(EXIT.notPermitted);
    expect(result.stderr).toMatch(/^error\[E_IRREVERSIBLE\]: .*version 2\b/m);
    expect(dbState(project.dbPath)).toEqual(before);
    expect(project.withDb(appliedVersions)).toEqual(['1', '2']);
  });

  it('up exits 4 (E_CONNECT) when the database directory does not exist, and creates none', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    const before = project.listing();
    const result = await project.run(['up', '--url', 'sqlite:./no/such/dir/app.db']);
    expect(result.code, result.stderr).toBe(EXIT.connect);
    expect(result.stderr).toMatch(/^error\[E_CONNECT\]: /m);
    expect(project.normalise(result.stderr)).toContain(path.join('<dir>', 'no', 'such', 'dir'));
    expect(project.listing()).toEqual(before);
  });
});
