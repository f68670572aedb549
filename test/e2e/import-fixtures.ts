/**
 * Other tools' history tables for `migrate import` end-to-end tests: each created with the DDL
 * the tool itself runs (cited per tool; looked up in the tools' sources and in schema dumps of
 * databases they manage), filled with rows as the tool writes them, plus migration files in
 * migrator's naming that match them and one more that stays pending.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine, Target } from './engines/support.js';
import type { Project } from './helpers.js';

export interface ToolFixture {
  readonly tool: string;
  readonly engines: ReadonlyArray<Engine>;
  /** Migration file names (in `migrations/`), oldest first; each creates table `imp_<i>`. */
  readonly files: ReadonlyArray<string>;
  /** Canonical versions the import records as applied. */
  readonly applied: ReadonlyArray<string>;
  /** Canonical versions still pending after the import (`up` applies exactly these). */
  readonly pending: ReadonlyArray<string>;
  /** Statements creating the tool's history table and its rows, on `engine`. */
  sql(engine: Engine): ReadonlyArray<string>;
}

const ALL: ReadonlyArray<Engine> = ['sqlite', 'postgres', 'mysql'];
const bool = (engine: Engine, value: boolean): string => (engine === 'postgres' ? String(value) : value ? '1' : '0');
const pick = <T>(engine: Engine, choices: Record<Engine, T>): T => choices[engine];

export const FIXTURES: ReadonlyArray<ToolFixture> = [
  {
    // Flyway's createMetaDataTable.sql (postgresql, mysql, sqlite): installed_rank primary key, index on success.
    tool: 'flyway', engines: ALL, files: ['V1__create_a.sql', 'V1.1__create_b.sql', 'V2__create_c.sql'], applied: ['1', '1.1'], pending: ['2'],
    sql: (e) => [
      pick(e, {
        postgres: `CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)`,
        mysql: 'CREATE TABLE `flyway_schema_history` (`installed_rank` INT NOT NULL, `version` VARCHAR(50), `description` VARCHAR(200) NOT NULL, `type` VARCHAR(20) NOT NULL, `script` VARCHAR(1000) NOT NULL, `checksum` INT, `installed_by` VARCHAR(100) NOT NULL, `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `execution_time` INT NOT NULL, `success` BOOL NOT NULL, CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)) ENGINE=InnoDB',
        sqlite: `CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL)`,
      }),
      ...(e === 'postgres' ? ['ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank")'] : []),
      'CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success)',
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES
        (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 1193472853, 'alice', '2024-01-02 03:04:05.123', 12, ${bool(e, true)}),
        (2, '1.1', 'create b', 'SQL', 'V1.1__create_b.sql', -40328477, 'bob', '2024-01-03 03:04:05', 7, ${bool(e, true)})`,
    ],
  },
  {
    // Liquibase's CreateDatabaseChangeLogTableStatement: upper-case columns, lower case on PostgreSQL.
    tool: 'liquibase', engines: ALL, files: ['V1__create_a.sql', 'V2__create_b.sql', 'V3__create_c.sql'], applied: ['1', '2'], pending: ['3'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE databasechangelog (id VARCHAR(255) NOT NULL, author VARCHAR(255) NOT NULL, filename VARCHAR(255) NOT NULL, dateexecuted TIMESTAMP WITHOUT TIME ZONE NOT NULL, orderexecuted INTEGER NOT NULL, exectype VARCHAR(10) NOT NULL, md5sum VARCHAR(35), description VARCHAR(255), comments VARCHAR(255), tag VARCHAR(255), liquibase VARCHAR(20), contexts VARCHAR(255), labels VARCHAR(255), deployment_id VARCHAR(10))',
        mysql: 'CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED datetime NOT NULL, ORDEREXECUTED INT NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35) NULL, DESCRIPTION VARCHAR(255) NULL, COMMENTS VARCHAR(255) NULL, TAG VARCHAR(255) NULL, LIQUIBASE VARCHAR(20) NULL, CONTEXTS VARCHAR(255) NULL, LABELS VARCHAR(255) NULL, DEPLOYMENT_ID VARCHAR(10) NULL)',
        sqlite: 'CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TEXT NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10))',
      }),
      `INSERT INTO ${e === 'postgres' ? 'databasechangelog' : 'DATABASECHANGELOG'} (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE, MD5SUM, DESCRIPTION, LIQUIBASE, DEPLOYMENT_ID) VALUES
        ('1', 'alice', 'db/changelog.xml', '2024-01-02 03:04:05', 1, 'EXECUTED', '9:0f1b0e0bc2a8c8c2b5e7f6e5d4c3b2a1', 'createTable tableName=imp_1', '4.25.0', '4167845001'),
        ('2', 'bob', 'db/changelog.xml', '2024-01-02 03:04:06', 2, 'MARK_RAN', '9:1f1b0e0bc2a8c8c2b5e7f6e5d4c3b2a1', 'createTable tableName=imp_2', '4.25.0', '4167845001')`,
    ],
  },
  {
    // knex's migrate/table-creator.js: t.increments(); t.string('name'); t.integer('batch'); t.timestamp('migration_time'), as knex's dialects compile it.
    tool: 'knex', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz)',
        mysql: 'create table `knex_migrations` (`id` int unsigned not null auto_increment primary key, `name` varchar(255), `batch` int, `migration_time` timestamp NULL)',
        sqlite: 'create table `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)',
      }),
      // knex on SQLite stores a Date as milliseconds since the epoch.
      `insert into knex_migrations (name, batch, migration_time) values ('20240101000001_create_a.js', 1, ${e === 'sqlite' ? '1704067201000' : "'2024-01-01 00:00:01'"}), ('20240101000002_create_b.js', 2, ${e === 'sqlite' ? '1704067202000' : "'2024-01-01 00:00:02'"})`,
    ],
  },
  {
    // db-migrate's drivers (db-migrate-pg, -mysql, -sqlite3): createMigrationsTable; names stored with a leading "/".
    tool: 'db-migrate', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE IF NOT EXISTS "migrations" ("id" SERIAL PRIMARY KEY NOT NULL, "name" VARCHAR (255) NOT NULL, "run_on" TIMESTAMP NOT NULL)',
        mysql: 'CREATE TABLE IF NOT EXISTS `migrations` (`id` INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL, `name` VARCHAR (255) NOT NULL, `run_on` DATETIME NOT NULL)',
        sqlite: 'CREATE TABLE IF NOT EXISTS "migrations" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "name" VARCHAR (255) NOT NULL, "run_on" DATETIME NOT NULL)',
      }),
      "INSERT INTO migrations (name, run_on) VALUES ('/20240101000001-create-a', '2024-01-01 00:00:01'), ('/20240101000002-create-b', '2024-01-01 00:00:02')",
    ],
  },
  {
    // golang-migrate's database/{postgres,mysql,sqlite3} ensureVersionTable.
    tool: 'golang-migrate', engines: ALL, files: ['V1__create_a.sql', 'V2__create_b.sql', 'V3__create_c.sql'], applied: ['1', '2'], pending: ['3'],
    sql: (e) => [
      ...pick(e, {
        postgres: ['CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)'],
        mysql: ['CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null)'],
        sqlite: ['CREATE TABLE IF NOT EXISTS "schema_migrations" (version uint64,dirty bool)', 'CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version)'],
      }),
      `INSERT INTO schema_migrations (version, dirty) VALUES (2, ${bool(e, false)})`,
    ],
  },
  {
    // dbmate's drivers: create table if not exists schema_migrations (version varchar(128) primary key).
    tool: 'dbmate', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'create table if not exists "schema_migrations" (version varchar(128) primary key)',
        mysql: 'create table if not exists `schema_migrations` (version varchar(128) primary key) character set latin1 collate latin1_bin',
        sqlite: 'create table if not exists "schema_migrations" (version varchar(128) primary key)',
      }),
      "insert into schema_migrations (version) values ('20240101000001'), ('20240101000002')",
    ],
  },
  {
    // goose's dialect queries (CreateTable): one row per up and per down; version 3 was applied, then rolled back.
    tool: 'goose', engines: ALL, files: ['V1__create_a.sql', 'V2__create_b.sql', 'V3__create_c.sql'], applied: ['1', '2'], pending: ['3'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now())',
        mysql: 'CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))',
        sqlite: "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))",
      }),
      `INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (0, ${bool(e, true)}, '2024-01-01 00:00:00'), (1, ${bool(e, true)}, '2024-01-01 00:00:01'), (2, ${bool(e, true)}, '2024-01-01 00:00:02'), (3, ${bool(e, true)}, '2024-01-01 00:00:03'), (3, ${bool(e, false)}, '2024-01-01 00:00:04')`,
    ],
  },
  {
    // node-pg-migrate (PostgreSQL only), migration.ts ensureMigrationsTable.
    tool: 'node-pg-migrate', engines: ['postgres'], files: ['V1700000000001__create_a.sql', 'V1700000000002__create_b.sql', 'V1700000000003__create_c.sql'], applied: ['1700000000001', '1700000000002'], pending: ['1700000000003'],
    sql: () => [
      'CREATE TABLE "pgmigrations" ( id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
      "INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000001_create-a', '2024-01-01 00:00:01'), ('1700000000002_create-b', '2024-01-01 00:00:02')",
    ],
  },
  {
    // Sequelize's umzug SequelizeStorage model, as queryInterface.createTable compiles it.
    tool: 'sequelize', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"))',
        mysql: 'CREATE TABLE IF NOT EXISTS `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY (`name`)) ENGINE=InnoDB',
        sqlite: 'CREATE TABLE IF NOT EXISTS `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE PRIMARY KEY)',
      }),
      `INSERT INTO ${e === 'postgres' ? '"SequelizeMeta"' : 'SequelizeMeta'} (name) VALUES ('20240101000001-create-a.js'), ('20240101000002-create-b.js')`,
    ],
  },
  {
    // TypeORM's MigrationExecutor.createMigrationsTableIfNotExist (id, timestamp bigint, name).
    tool: 'typeorm', engines: ALL, files: ['V1700000000001__create_a.sql', 'V1700000000002__create_b.sql', 'V1700000000003__create_c.sql'], applied: ['1700000000001', '1700000000002'], pending: ['1700000000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))',
        mysql: 'CREATE TABLE `migrations` (`id` int NOT NULL AUTO_INCREMENT, `timestamp` bigint NOT NULL, `name` varchar(255) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB',
        sqlite: 'CREATE TABLE "migrations" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)',
      }),
      "INSERT INTO migrations (timestamp, name) VALUES (1700000000001, 'CreateA1700000000001'), (1700000000002, 'CreateB1700000000002')",
    ],
  },
  {
    // Prisma's migration engine (_prisma_migrations per connector); the third one was rolled back.
    tool: 'prisma', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => {
      // Prisma on SQLite stores DATETIME values as milliseconds since the epoch.
      const t = (iso: string): string => (e === 'sqlite' ? String(Date.parse(`${iso}Z`)) : `'${iso.replace('T', ' ')}'`);
      return [
        pick(e, {
          postgres: 'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"))',
          mysql: 'CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3), migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3), started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0) DEFAULT CHARACTER SET utf8mb4',
          sqlite: 'CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)',
        }),
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES
          ('0b3c1a8e-1d6f-4d3e-9a51-3f0e5b6f0a01', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', ${t('2024-01-01T00:00:01.500')}, '20240101000001_create_a', NULL, NULL, ${t('2024-01-01T00:00:01')}, 1),
          ('0b3c1a8e-1d6f-4d3e-9a51-3f0e5b6f0a02', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856', ${t('2024-01-01T00:00:02.500')}, '20240101000002_create_b', NULL, NULL, ${t('2024-01-01T00:00:02')}, 1),
          ('0b3c1a8e-1d6f-4d3e-9a51-3f0e5b6f0a03', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b857', NULL, '20240101000003_create_c', 'syntax error', ${t('2024-01-01T00:00:04')}, ${t('2024-01-01T00:00:03')}, 0)`,
      ];
    },
  },
  {
    // ActiveRecord's SchemaMigration.create_table: one string primary key, no dirty column.
    tool: 'rails', engines: ALL, files: ['V20240101000001__create_a.sql', 'V20240101000002__create_b.sql', 'V20240101000003__create_c.sql'], applied: ['20240101000001', '20240101000002'], pending: ['20240101000003'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE "schema_migrations" ("version" character varying NOT NULL PRIMARY KEY)',
        mysql: 'CREATE TABLE `schema_migrations` (`version` varchar(255) NOT NULL PRIMARY KEY)',
        sqlite: 'CREATE TABLE "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY)',
      }),
      "INSERT INTO schema_migrations (version) VALUES ('20240101000001'), ('20240101000002')",
    ],
  },
  {
    // Django's MigrationRecorder model (BigAutoField id, app, name, applied), as each backend's schema editor creates it.
    tool: 'django', engines: ALL, files: ['V1__initial.sql', 'V2__add_b.sql', 'V3__add_c.sql'], applied: ['1', '2'], pending: ['3'],
    sql: (e) => [
      pick(e, {
        postgres: 'CREATE TABLE "django_migrations" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL)',
        mysql: 'CREATE TABLE `django_migrations` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `app` varchar(255) NOT NULL, `name` varchar(255) NOT NULL, `applied` datetime(6) NOT NULL)',
        sqlite: 'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)',
      }),
      "INSERT INTO django_migrations (app, name, applied) VALUES ('shop', '0001_initial', '2024-01-01 00:00:01.000000'), ('shop', '0002_add_b', '2024-01-01 00:00:02.000000')",
    ],
  },
  {
    // Alembic's MigrationContext version table: only the head revision.
    tool: 'alembic', engines: ALL, files: ['V1__1975ea83b712_create_a.sql', 'V2__ae1027a6acf9_create_b.sql', 'V3__27c6a30d7c24_create_c.sql'], applied: ['1', '2'], pending: ['3'],
    sql: () => [
      'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
      "INSERT INTO alembic_version (version_num) VALUES ('ae1027a6acf9')",
    ],
  },
];

/** Writes each fixture file: file `i` creates table `imp_<i>`. */
export function writeFiles(project: Project, files: ReadonlyArray<string>): void {
  files.forEach((name, i) => project.write(name, `CREATE TABLE imp_${i + 1} (id int);\n`));
}

/** Runs `statements` on the target's database, outside the CLI (writable, unlike `Target.rows` on SQLite). */
export async function execute(target: Target, project: Project, statements: ReadonlyArray<string>): Promise<void> {
  if (target.engine === 'sqlite') {
    const db = new Database(project.dbPath);
    try {
      for (const sql of statements) db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  if (target.engine === 'postgres') {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
    return;
  }
  const connection = await mysql.createConnection({ uri: target.url });
  try {
    for (const sql of statements) await connection.query(sql);
  } finally {
    await connection.end();
  }
}
