/**
 * `migrate import --from <tool>` through bin/migrate: the refusals (a dirty golang-migrate version,
 * an entry that matches no file and --allow-unmapped, history migrator already has, a missing
 * table, Django apps, Alembic revisions) and the audit row. Each tool's full cycle runs per engine
 * in import-{sqlite,postgres,mysql}.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, dbState, jsonDoc } from './helpers.js';
import { createTarget, engineCases, statusDoc } from './engines/support.js';
import { FIXTURES, execute, writeFiles } from './import-fixtures.js';

const [sqlite, postgres, mysql] = await engineCases(['sqlite', 'postgres', 'mysql']);

const flywayRows = (rows: string): string[] => [
  ...(FIXTURES.find((f) => f.tool === 'flyway')?.sql('sqlite').slice(0, 2) ?? []),
  `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES ${rows}`,
];

describe('migrate import refusals', () => {
  for (const engineCase of [sqlite, postgres]) {
    if (engineCase === undefined) continue;
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: a dirty golang-migrate version is refused (exit 6), nothing written`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const target = await createTarget(engineCase, project, `import dirty ${engine}`, { onTestFinished });
      writeFiles(project, ['V1__a.sql', 'V2__b.sql']);
      const ddl = FIXTURES.find((f) => f.tool === 'golang-migrate')?.sql(engine).slice(0, -1) ?? [];
      await execute(target, project, [...ddl, `INSERT INTO schema_migrations (version, dirty) VALUES (2, ${engine === 'postgres' ? 'true' : '1'})`]);
      for (const args of [['--dry-run'], []]) {
        const result = await project.run(['import', '--from', 'golang-migrate', '--url', target.url, ...args]);
        expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
        expect(result.stderr).toMatch(/^error\[E_IMPORT_REFUSED\]: schema_migrations says version 2 is dirty: golang-migrate stopped part-way/m);
        expect(result.stderr).toContain('hint: Fix the database by hand, then clear the flag with golang-migrate\'s own CLI (its "migrate" command, not this tool): "migrate -path <dir> -database <url> force 2" (or force the previous version if you undid it), and import again. Nothing was written.');
      }
      expect(await target.tableExists('migrator_history')).toBe(false);
    });
  }

  it('sqlite: an entry that matches no file is refused naming it; --allow-unmapped imports the rest and audits what it left', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__create_a.sql', 'V3__create_c.sql']);
    await execute({ engine: 'sqlite' } as never, project, flywayRows(`
      (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 1, 'alice', '2024-01-02 03:04:05', 1, 1),
      (2, '2', 'create b', 'SQL', 'V2__create_b.sql', 2, 'alice', '2024-01-02 03:04:06', 1, 1)`));
    const before = dbState(project.dbPath);
    const refused = await project.run(['import', '--from', 'flyway']);
    expect(refused.code, refused.stderr).toBe(EXIT.stateDisagrees);
    expect(refused.stderr).toContain('error[E_IMPORT_REFUSED]: cannot import flyway history from flyway_schema_history: 1 entry matches no migration file: V2 (installed_rank 2) (no migration file has version 2)');
    expect(refused.stderr).toMatch(/hint: .*--allow-unmapped/);
    expect(dbState(project.dbPath)).toEqual(before);

    const dry = await project.run(['import', '--from', 'flyway', '--dry-run', '--json']);
    expect(dry.code).toBe(EXIT.stateDisagrees);
    const doc = jsonDoc<{ ok: boolean; entries: Array<{ ref: string; outcome: string; why: string }> }>(dry.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.entries.map((e) => `${e.ref} ${e.outcome}`)).toEqual(['V1 (installed_rank 1) import', 'V2 (installed_rank 2) unmapped']);

    const allowed = await project.run(['import', '--from', 'flyway', '--allow-unmapped']);
    expect(allowed.code, allowed.stderr).toBe(EXIT.ok);
    expect(allowed.stdout).toContain('unmapped: V2 (installed_rank 2): no migration file has version 2');
    const [row] = project.withDb((db) => db.prepare("SELECT detail FROM migrator_audit WHERE event = 'import'").all() as Array<{ detail: string }>);
    expect(JSON.parse(String(row?.detail))).toMatchObject({ tool: 'flyway', table: 'flyway_schema_history', imported: ['1'], unmapped: [{ ref: 'V2 (installed_rank 2)', version: '2' }] });
    const history = project.withDb((db) => db.prepare('SELECT version, applied_by, applied_at, checksum, kind, tool_version, error FROM migrator_history').all());
    expect(history).toEqual([expect.objectContaining({ version: '1', applied_by: 'alice', applied_at: '2024-01-02T03:04:05.000Z', kind: 'versioned', error: null })]);
    expect(statusDoc(await project.run(['status', '--json'])).migrations.map((m) => `${m.version} ${m.state}`)).toEqual(['1 applied', '3 pending']);
  });

  it('sqlite: importing twice is a no-op (exit 0, nothing written); a conflicting migrator history is refused', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__create_a.sql', 'V2__create_b.sql']);
    await execute({ engine: 'sqlite' } as never, project, flywayRows(`(1, '1', 'create a', 'SQL', 'V1__create_a.sql', 1, 'alice', '2024-01-02 03:04:05', 1, 1)`));
    expect((await project.run(['import', '--from', 'flyway'])).code).toBe(EXIT.ok);
    const after = dbState(project.dbPath);
    expect(after.audit.map((a) => a.event)).toEqual(['import']);
    const again = await project.run(['import', '--from', 'flyway']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain('Nothing to import: migrator_history already records every applied entry.');
    expect(dbState(project.dbPath)).toEqual(after);

    // The file changed since: migrator's row no longer matches it, so the import cannot vouch for it.
    project.write('V1__create_a.sql', 'CREATE TABLE imp_1 (id int, changed int);\n');
    const conflict = await project.run(['import', '--from', 'flyway']);
    expect(conflict.code).toBe(EXIT.stateDisagrees);
    expect(conflict.stderr).toMatch(/^error\[E_IMPORT_REFUSED\]: cannot import flyway history from flyway_schema_history: migrator_history already records this migration differently: V1 \(installed_rank 1\) \(migrator_history already says checksum mismatch\)/m);
    expect(dbState(project.dbPath)).toEqual(after);
  });

  it('sqlite: a missing table is refused naming it, and the dry run creates nothing', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__a.sql']);
    const result = await project.run(['import', '--from', 'knex', '--dry-run']);
    expect(result.code).toBe(EXIT.stateDisagrees);
    expect(result.stderr).toMatch(/^error\[E_IMPORT_REFUSED\]: cannot read the knex history table knex_migrations on SQLite .*no such table: knex_migrations/m);
    expect(result.stderr).toMatch(/hint: .*--table/);
    // A real run refused up front creates nothing either: no database file, no lock table.
    expect((await project.run(['import', '--from', 'knex'])).code).toBe(EXIT.stateDisagrees);
    expect(project.dbExists()).toBe(false);
    const bad = await project.run(['import', '--from', 'knex', '--table', 'x; DROP TABLE y']);
    expect(bad.code).toBe(EXIT.usage);
    const unknown = await project.run(['import', '--from', 'nope']);
    expect(unknown.code).toBe(EXIT.usage);
  });

  it('sqlite: django_migrations of several apps needs --app; the other apps are skipped', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__initial.sql', 'V2__add_b.sql']);
    const ddl = FIXTURES.find((f) => f.tool === 'django')?.sql('sqlite')[0] ?? '';
    await execute({ engine: 'sqlite' } as never, project, [ddl, "INSERT INTO django_migrations (app, name, applied) VALUES ('contenttypes', '0001_initial', '2024-01-01 00:00:00'), ('shop', '0001_initial', '2024-01-01 00:00:01')"]);
    const refused = await project.run(['import', '--from', 'django']);
    expect(refused.code).toBe(EXIT.stateDisagrees);
    expect(refused.stderr).toContain('django_migrations holds the migrations of 2 Django apps (contenttypes, shop)');
    const ok = await project.run(['import', '--from', 'django', '--app', 'shop']);
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
    expect(ok.stdout).toContain('skipped: contenttypes.0001_initial: another Django app than shop');
    expect(statusDoc(await project.run(['status', '--json'])).migrations.map((m) => `${m.version} ${m.state}`)).toEqual(['1 applied', '2 pending']);
  });

  it('sqlite: --table reads a renamed table; alembic without a file naming the head revision is refused with the reason', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__create_a.sql', 'V2__create_b.sql']);
    await execute({ engine: 'sqlite' } as never, project, [
      'CREATE TABLE my_versions (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
      "INSERT INTO my_versions (version_num) VALUES ('ae1027a6acf9')",
    ]);
    const refused = await project.run(['import', '--from', 'alembic', '--table', 'my_versions']);
    expect(refused.code).toBe(EXIT.stateDisagrees);
    expect(refused.stderr).toContain('revision ae1027a6acf9 (Alembic records only its head revision, and no migration file name contains "ae1027a6acf9")');
    project.remove('V2__create_b.sql');
    project.write('V2__ae1027a6acf9_create_b.sql', 'CREATE TABLE imp_2 (id int);\n');
    const ok = await project.run(['import', '--from', 'alembic', '--table', 'my_versions']);
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
    expect(statusDoc(await project.run(['status', '--json'])).migrations.map((m) => `${m.version} ${m.state}`)).toEqual(['1 applied', '2 applied']);
  });

  it('sqlite: a Flyway repeatable is imported only while the file has the checksum Flyway recorded; a changed one stays pending and up re-applies it', async ({ expect, onTestFinished }) => {
    // Flyway's checksums (CRC-32 over the lines, as a signed int; computed apart with Python's zlib.crc32)
    // of "CREATE VIEW imp_v AS SELECT 1 AS x;\n" and of the same with SELECT 2.
    const views = 'CREATE VIEW imp_v AS SELECT 1 AS x;\n';
    const [flywaySum, changedSum] = [-305200903, -601417116];
    const rows = flywayRows(`
      (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 1, 'alice', '2024-01-02 03:04:05', 1, 1),
      (2, NULL, 'views', 'SQL', 'R__views.sql', 1, 'alice', '2024-01-02 03:04:06', 1, 1),
      (3, NULL, 'views', 'SQL', 'R__views.sql', ${flywaySum}, 'alice', '2024-01-02 03:04:07', 1, 1)`);
    const same = new Project({ onTestFinished });
    writeFiles(same, ['V1__create_a.sql']);
    same.write('R__views.sql', views);
    await execute({ engine: 'sqlite' } as never, same, rows);
    const imported = await same.run(['import', '--from', 'flyway']);
    expect(imported.code, imported.stderr).toBe(EXIT.ok);
    expect(same.withDb((db) => db.prepare('SELECT version FROM migrator_history ORDER BY version').all())).toEqual([{ version: '1' }, { version: 'R__views' }]);

    const changed = new Project({ onTestFinished });
    writeFiles(changed, ['V1__create_a.sql']);
    changed.write('R__views.sql', 'CREATE VIEW imp_v AS SELECT 2 AS x;\n');
    await execute({ engine: 'sqlite' } as never, changed, rows);
    const dry = await changed.run(['import', '--from', 'flyway', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(EXIT.ok);
    expect(dry.stdout).toContain(`skipped: R__views.sql (installed_rank 3): changed since Flyway last applied it (Flyway's checksum ${flywaySum}, the file's ${changedSum}): not imported, so it stays pending and "migrate up" re-applies it`);
    expect(dry.stdout).toContain('Dry run: would record 1 migration as applied; nothing was written.');
    expect((await changed.run(['import', '--from', 'flyway'])).code).toBe(EXIT.ok);
    expect(changed.withDb((db) => db.prepare('SELECT version FROM migrator_history').all())).toEqual([{ version: '1' }]);
    const up = await changed.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
    expect(changed.withDb((db) => db.prepare('SELECT x FROM imp_v').all())).toEqual([{ x: 2 }]);
    // Once migrator applied the file as it is, the Flyway entry is simply recorded.
    const again = await changed.run(['import', '--from', 'flyway', '--json']);
    expect(jsonDoc<{ entries: Array<{ ref: string; outcome: string }> }>(again.stdout).entries.map((e) => `${e.ref} ${e.outcome}`)).toEqual(['V1 (installed_rank 1) recorded', 'R__views.sql (installed_rank 3) recorded']);
  });

  it('sqlite: Liquibase changesets of one file import it once, all listed as import; a failed changeset of that file refuses the import', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__create_a.sql', 'V2__create_b.sql', 'V3__create_c.sql']);
    const ddl = FIXTURES.find((f) => f.tool === 'liquibase')?.sql('sqlite')[0] ?? '';
    const changeset = (id: string, order: number, exec: string): string => `('${id}', 'alice', 'db/V2__create_b.sql', '2024-01-02 03:04:0${order}', ${order}, '${exec}')`;
    await execute({ engine: 'sqlite' } as never, project, [ddl, `INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE) VALUES
      ('1', 'alice', 'db/changelog.xml', '2024-01-02 03:04:01', 1, 'EXECUTED'), ${changeset('create-b', 2, 'EXECUTED')}, ${changeset('index-b', 3, 'EXECUTED')}, ${changeset('seed-b', 4, 'FAILED')}`]);
    const before = dbState(project.dbPath);
    for (const args of [[], ['--allow-unmapped']]) {
      const refused = await project.run(['import', '--from', 'liquibase', ...args]);
      expect(refused.code, refused.stderr).toBe(EXIT.stateDisagrees);
      expect(refused.stderr).toMatch(/^error\[E_IMPORT_REFUSED\]: cannot import liquibase history from DATABASECHANGELOG: migrations\/V2__create_b\.sql is named by entries of which only some were applied: db\/V2__create_b\.sql::create-b::alice .*db\/V2__create_b\.sql::seed-b::alice \(EXECTYPE FAILED, while /m);
      expect(refused.stderr).toMatch(/hint: .*Nothing was written\./);
    }
    expect(dbState(project.dbPath)).toEqual(before);

    await execute({ engine: 'sqlite' } as never, project, ["UPDATE DATABASECHANGELOG SET EXECTYPE = 'EXECUTED' WHERE ID = 'seed-b'"]);
    const run = await project.run(['import', '--from', 'liquibase', '--allow-unmapped', '--json']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<{ written: number; entries: Array<{ ref: string; outcome: string; version: string; sameFileAs: string | null }> }>(run.stdout);
    expect(doc.written).toBe(2);
    expect(doc.entries.map((e) => `${e.ref} ${e.outcome} ${e.version} ${e.sameFileAs ?? '-'}`)).toEqual([
      'db/changelog.xml::1::alice import 1 -', 'db/V2__create_b.sql::create-b::alice import 2 -',
      'db/V2__create_b.sql::index-b::alice import 2 db/V2__create_b.sql::create-b::alice', 'db/V2__create_b.sql::seed-b::alice import 2 db/V2__create_b.sql::create-b::alice',
    ]);
    const [audit] = project.withDb((db) => db.prepare("SELECT detail FROM migrator_audit WHERE event = 'import'").all() as Array<{ detail: string }>);
    expect(JSON.parse(String(audit?.detail))).toMatchObject({ imported: ['1', '2'], unmapped: [], skipped: [] });
    expect(statusDoc(await project.run(['status', '--json'])).migrations.map((m) => `${m.version} ${m.state}`)).toEqual(['1 applied', '2 applied', '3 pending']);
  });

  it('sqlite: a knex name whose description starts with digits maps by its leading digits only', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V20240101120000__2fa_setup.sql', 'V20240102120000__3d_models.sql']);
    const ddl = FIXTURES.find((f) => f.tool === 'knex')?.sql('sqlite')[0] ?? '';
    await execute({ engine: 'sqlite' } as never, project, [ddl, "insert into knex_migrations (name, batch, migration_time) values ('20240101120000_2fa_setup.js', 1, 1704067201000)"]);
    const run = await project.run(['import', '--from', 'knex']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(statusDoc(await project.run(['status', '--json'])).migrations.map((m) => `${m.version} ${m.state}`)).toEqual(['20240101120000 applied', '20240102120000 pending']);
  });

  it('sqlite: a failed Prisma migration (finished_at and rolled_back_at NULL) is refused, nothing written', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql']);
    const ddl = FIXTURES.find((f) => f.tool === 'prisma')?.sql('sqlite')[0] ?? '';
    await execute({ engine: 'sqlite' } as never, project, [ddl, `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES
      ('a1', 'x', '2024-01-01 00:00:01', '20240101000001_create_a', NULL, NULL, '2024-01-01 00:00:01', 1),
      ('a2', 'y', NULL, '20240101000002_create_b', 'syntax error', NULL, '2024-01-01 00:00:02', 0)`]);
    for (const args of [['--dry-run'], []]) {
      const result = await project.run(['import', '--from', 'prisma', ...args]);
      expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
      expect(result.stderr).toMatch(/^error\[E_IMPORT_REFUSED\]: _prisma_migrations records a failed Prisma migration .*20240101000002_create_b/m);
      expect(result.stderr).toMatch(/hint: .*prisma migrate resolve --rolled-back 20240101000002_create_b.*prisma migrate resolve --applied 20240101000002_create_b.*Nothing was written\./);
    }
    expect(project.withDb((db) => db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'migrator%'").all())).toEqual([]);
  });

  it('sqlite: --app with another tool than django is a usage error naming the tool', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeFiles(project, ['V1__a.sql']);
    const result = await project.run(['import', '--from', 'knex', '--app', 'shop']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^error\[E_USAGE\]: --app is for --from django only; knex has no apps/m);
    expect(project.dbExists()).toBe(false);
  });

  it('sqlite: in a protected environment import needs --confirm (the hint says to check "migrate import --dry-run") and --reason', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), 'environments:\n  prod:\n    protected: true\n');
    writeFiles(project, ['V1__create_a.sql']);
    await execute({ engine: 'sqlite' } as never, project, flywayRows(`(1, '1', 'create a', 'SQL', 'V1__create_a.sql', 1, 'alice', '2024-01-02 03:04:05', 1, 1)`));
    const unconfirmed = await project.run(['import', '--from', 'flyway', '--env', 'prod']);
    expect(unconfirmed.code).toBe(EXIT.notPermitted);
    expect(unconfirmed.stderr).toContain('hint: Check the plan first ("migrate import --dry-run"), then repeat the command with --confirm prod.');
    const noReason = await project.run(['import', '--from', 'flyway', '--env', 'prod', '--confirm', 'prod']);
    expect(noReason.code).toBe(EXIT.notPermitted);
    expect(noReason.stderr).toContain('"import" needs --reason');
    const ok = await project.run(['import', '--from', 'flyway', '--env', 'prod', '--confirm', 'prod', '--reason', 'adopt the Flyway database']);
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
  });

  for (const engineCase of [sqlite, postgres, mysql]) {
    if (engineCase === undefined) continue;
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: schema_migrations tells golang-migrate from dbmate and Rails by its dirty column`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      writeFiles(project, ['V1__a.sql', 'V2__b.sql']);
      const golang = await createTarget(engineCase, project, `import twin golang ${engine}`, { onTestFinished });
      await execute(golang, project, FIXTURES.find((f) => f.tool === 'golang-migrate')?.sql(engine) ?? []);
      for (const tool of ['dbmate', 'rails']) {
        const result = await project.run(['import', '--from', tool, '--url', golang.url]);
        expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
        expect(result.stderr).toContain(`error[E_IMPORT_REFUSED]: schema_migrations has a dirty column: it looks like golang-migrate's schema_migrations (one row, the current version, and a dirty flag), not ${tool === 'rails' ? 'Rails' : tool}'s`);
        expect(result.stderr).toMatch(/hint: Use --from golang-migrate/);
      }
      expect(await golang.tableExists('migrator_history')).toBe(false);

      const other = new Project({ onTestFinished });
      writeFiles(other, ['V1__a.sql', 'V2__b.sql']);
      const dbmate = await createTarget(engineCase, other, `import twin dbmate ${engine}`, { onTestFinished });
      await execute(dbmate, other, [...(FIXTURES.find((f) => f.tool === 'dbmate')?.sql(engine).slice(0, 1) ?? []), "insert into schema_migrations (version) values ('1'), ('2')"]);
      for (const args of [['--dry-run'], []]) {
        const result = await other.run(['import', '--from', 'golang-migrate', '--url', dbmate.url, ...args]);
        expect(result.code, result.stderr).toBe(EXIT.stateDisagrees);
        expect(result.stderr).toContain("error[E_IMPORT_REFUSED]: schema_migrations has a version column but no dirty column: it looks like dbmate's or Rails's schema_migrations (one row per applied version), not golang-migrate's");
        expect(result.stderr).toContain('hint: Use --from dbmate or --from rails, whichever tool wrote it. Nothing was written.');
      }
      expect(await dbmate.tableExists('migrator_history')).toBe(false);
      const right = await other.run(['import', '--from', 'dbmate', '--url', dbmate.url]);
      expect(right.code, right.stderr).toBe(EXIT.ok);
    });
  }

  for (const engineCase of [sqlite, postgres, mysql]) {
    if (engineCase === undefined) continue;
    const { engine } = engineCase;
    // What docs/import.md#tools says: PostgreSQL's zone-less timestamp is read in the process time zone;
    // MySQL/MariaDB's DATETIME and SQLite's text are read as UTC whatever TZ is.
    const expected = engine === 'postgres' ? '2024-01-01T05:00:01.000Z' : '2024-01-01T00:00:01.000Z';
    it.skipIf(engineCase.skip !== undefined)(`${engine}: a zone-less time under TZ=America/New_York is read as ${expected}`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      writeFiles(project, ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql']);
      const target = await createTarget(engineCase, project, `import tz ${engine}`, { onTestFinished });
      await execute(target, project, FIXTURES.find((f) => f.tool === 'db-migrate')?.sql(engine) ?? []);
      const dry = await project.run(['import', '--from', 'db-migrate', '--dry-run', '--json', '--url', target.url], { env: { TZ: 'America/New_York' } });
      expect(dry.code, dry.stderr).toBe(EXIT.ok);
      expect(jsonDoc<{ entries: Array<{ appliedAt: string }> }>(dry.stdout).entries[0]?.appliedAt).toBe(expected);
    });
  }
});
