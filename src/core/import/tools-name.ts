/**
 * Readers of the tools that record file or class names (knex, db-migrate, node-pg-migrate,
 * Sequelize, TypeORM, Prisma, Django): each entry maps by the version its name starts with.
 * Each comment names the table DDL the tool creates, which the end-to-end tests create verbatim.
 */
import { MigratorError } from '../errors.js';
import type { ForeignEntry, ToolReader } from './types.js';
import { isoTime, text } from './values.js';

type Row = Readonly<Record<string, unknown>>;

function byName(nameColumn: string, timeColumn: string | undefined): ToolReader['parse'] {
  return (rows: ReadonlyArray<Row>) => rows.map((row): ForeignEntry => {
    const name = text(row[nameColumn]) ?? '';
    return { ref: name, key: { kind: 'name', name }, state: 'applied', appliedAt: timeColumn === undefined ? undefined : isoTime(row[timeColumn]) };
  });
}

/**
 * knex: `knex_migrations (id increments, name varchar(255), batch integer, migration_time
 * timestamp)` (knex's migrate/table-creator.js). A row means applied; a rollback deletes it.
 */
export const knex: ToolReader = { tool: 'knex', table: 'knex_migrations', columns: ['id', 'name', 'batch', 'migration_time'], orderBy: 'id', parse: byName('name', 'migration_time') };

/**
 * db-migrate: `migrations (id SERIAL/INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, run_on
 * TIMESTAMP NOT NULL)`; names are stored as `/20240101120000-create-users`.
 */
export const dbMigrate: ToolReader = { tool: 'db-migrate', table: 'migrations', columns: ['id', 'name', 'run_on'], orderBy: 'id', parse: byName('name', 'run_on') };

/**
 * node-pg-migrate (PostgreSQL only): `pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT
 * NULL, run_on timestamp NOT NULL)`; names are file names without extension (`1700000000000_init`).
 */
export const nodePgMigrate: ToolReader = { tool: 'node-pg-migrate', table: 'pgmigrations', columns: ['id', 'name', 'run_on'], orderBy: 'id', parse: byName('name', 'run_on') };

/**
 * Sequelize (umzug's SequelizeStorage): `"SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE,
 * PRIMARY KEY ("name"))`: one row per applied file name, no time.
 */
export const sequelize: ToolReader = { tool: 'sequelize', table: 'SequelizeMeta', columns: ['name'], orderBy: 'name', parse: byName('name', undefined) };

/**
 * TypeORM: `migrations ("id" SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, "name" varchar NOT
 * NULL)`: the class name (`CreateUsers1700000000000`) and its timestamp, which is the version.
 */
export const typeorm: ToolReader = {
  tool: 'typeorm',
  table: 'migrations',
  columns: ['id', 'timestamp', 'name'],
  orderBy: 'id',
  parse: (rows) => rows.map((row): ForeignEntry => {
    const version = text(row['timestamp']) ?? '';
    return { ref: text(row['name']) ?? version, key: { kind: 'version', raw: version }, state: 'applied' };
  }),
};

/**
 * Prisma: `_prisma_migrations (id VARCHAR(36) PK, checksum VARCHAR(64), finished_at TIMESTAMPTZ,
 * migration_name VARCHAR(255), logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ,
 * applied_steps_count INTEGER)` (DATETIME(3) on MySQL, TEXT/DATETIME on SQLite). The last row of a
 * migration name decides: rolled back (`prisma migrate resolve --rolled-back`) is not applied,
 * skipped and reported; finished_at and rolled_back_at both NULL is a failed migration (what
 * Prisma reports as P3009 and refuses to go past): the database may hold part of it, so refused.
 */
export const prisma: ToolReader = {
  tool: 'prisma',
  table: '_prisma_migrations',
  columns: ['migration_name', 'started_at', 'finished_at', 'rolled_back_at'],
  orderBy: 'started_at',
  parse(rows, table) {
    const latest = new Map<string, ForeignEntry>();
    const failed = new Set<string>();
    for (const row of rows) {
      const name = text(row['migration_name']) ?? '';
      const finished = isoTime(row['finished_at']);
      const common = { ref: name, key: { kind: 'name' as const, name }, appliedAt: finished ?? isoTime(row['started_at']) };
      latest.delete(name);
      failed.delete(name);
      if (text(row['rolled_back_at']) !== undefined) latest.set(name, { ...common, state: 'skipped', note: 'rolled back (rolled_back_at is set)' });
      else if (finished === undefined) failed.add(name);
      else latest.set(name, { ...common, state: 'applied' });
    }
    if (failed.size > 0) {
      const names = [...failed];
      throw new MigratorError('E_IMPORT_REFUSED', `${table} records ${names.length === 1 ? 'a failed Prisma migration' : `${names.length} failed Prisma migrations`} (finished_at and rolled_back_at NULL: failed, Prisma's P3009, or still running): ${names.join(', ')}; the database may hold part of ${names.length === 1 ? 'it' : 'them'}`, {
        hint: `Resolve ${names.length === 1 ? 'it' : 'each'} with Prisma first: fix the database, then "prisma migrate resolve --rolled-back ${names[0] ?? '<name>'}" (undone) or "prisma migrate resolve --applied ${names[0] ?? '<name>'}" (completed by hand), and import again. Nothing was written.`,
        details: { table, failed: names },
      });
    }
    return [...latest.values()];
  },
};

/**
 * Django: `django_migrations ("id" bigint/integer PRIMARY KEY, "app" varchar(255) NOT NULL, "name"
 * varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL)` (MigrationRecorder). A row
 * means applied; names start with the migration's number (`0001_initial`), which restarts in
 * every app: so one app's rows are imported (`--app`, needed when the table holds several) and
 * the other apps' rows are skipped.
 */
export const django: ToolReader = {
  tool: 'django',
  table: 'django_migrations',
  columns: ['id', 'app', 'name', 'applied'],
  orderBy: 'id',
  parse(rows, table, options) {
    const apps = [...new Set(rows.map((row) => text(row['app']) ?? ''))];
    const app = options?.app ?? (apps.length <= 1 ? apps[0] : undefined);
    if (app === undefined) {
      throw new MigratorError('E_IMPORT_REFUSED', `${table} holds the migrations of ${apps.length} Django apps (${apps.join(', ')}), numbered separately: which app's migrations these files are cannot be guessed`, {
        hint: 'Name the app with --app <label> (its rows are imported, the others are reported as skipped). Nothing was written.',
        details: { table, apps },
      });
    }
    return rows.map((row): ForeignEntry => {
      const name = text(row['name']) ?? '';
      const own = text(row['app']) ?? '';
      const entry = { ref: `${own}.${name}`, key: { kind: 'name' as const, name }, appliedAt: isoTime(row['applied']) };
      return own === app ? { ...entry, state: 'applied' } : { ...entry, state: 'skipped', unrelated: true, note: `another Django app than ${app}` };
    });
  },
};
