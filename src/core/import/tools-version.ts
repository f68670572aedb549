/**
 * Readers of the tools that record versions (Flyway, Liquibase, goose, golang-migrate, dbmate,
 * Rails, Alembic). Each comment names the table DDL the tool creates, which the end-to-end tests
 * create verbatim (test/e2e/import-fixtures.ts).
 */
import { MigratorError } from '../errors.js';
import type { ForeignEntry, ToolReader } from './types.js';
import { isoTime, text, truthy } from './values.js';

function refused(message: string, hint: string, details: Record<string, unknown>): MigratorError {
  return new MigratorError('E_IMPORT_REFUSED', message, { hint, details });
}

/**
 * Flyway: `flyway_schema_history (installed_rank INT PK, version VARCHAR(50), description, type,
 * script, checksum INT, installed_by, installed_on TIMESTAMP, execution_time, success BOOLEAN)`
 * (Flyway's createMetaDataTable.sql per engine). Rows in installed_rank order; the last row of a
 * version decides: SQL/JDBC/SCRIPT apply, UNDO_* and DELETE unapply, BASELINE is a baseline,
 * SCHEMA (schema creation marker) is ignored. A row with success = false is refused. A repeatable
 * (no version) carries the `checksum` of its latest row: the mapping imports it only when the file
 * still has that Flyway checksum.
 */
export const flyway: ToolReader = {
  tool: 'flyway',
  table: 'flyway_schema_history',
  columns: ['installed_rank', 'version', 'description', 'type', 'script', 'checksum', 'installed_by', 'installed_on', 'success'],
  orderBy: 'installed_rank',
  parse(rows, table) {
    const latest = new Map<string, ForeignEntry>();
    for (const row of rows) {
      const version = text(row['version']);
      const type = (text(row['type']) ?? '').toUpperCase();
      const script = text(row['script']) ?? '';
      const rank = text(row['installed_rank']);
      const ref = version === undefined ? `${script} (installed_rank ${rank ?? '?'})` : `V${version} (installed_rank ${rank ?? '?'})`;
      if (type === 'SCHEMA') continue;
      if (!truthy(row['success'])) {
        throw refused(`${table} row installed_rank ${rank ?? '?'} (${version === undefined ? script : `version ${version}`}) records a failed Flyway migration: the database may hold part of it`, 'Finish or undo it with Flyway ("flyway repair" after fixing the database), then import again.', { table, installedRank: rank, version });
      }
      const common = { ref, appliedAt: isoTime(row['installed_on']), appliedBy: text(row['installed_by']) };
      const id = version ?? `script:${script}`;
      const key = version === undefined ? { kind: 'script' as const, script } : { kind: 'version' as const, raw: version };
      const checksum = version === undefined ? { checksum: flywayInt(row['checksum']) } : {};
      if (type.startsWith('UNDO') || type === 'DELETE') latest.set(id, { ...common, key, state: 'skipped', note: `${type === 'DELETE' ? 'deleted' : 'undone'} by Flyway` });
      else latest.set(id, { ...common, ...checksum, key, state: type === 'BASELINE' ? 'baseline' : 'applied' });
    }
    return [...latest.values()];
  },
};

/** Flyway's INT checksum column as a number; `null` when NULL or not an integer. */
function flywayInt(value: unknown): number | null {
  const raw = text(value);
  return raw !== undefined && /^-?\d+$/.test(raw.trim()) ? Number(raw) : null;
}

/**
 * Liquibase: `DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE,
 * MD5SUM, DESCRIPTION, COMMENTS, TAG, LIQUIBASE, CONTEXTS, LABELS, DEPLOYMENT_ID)`, upper case on
 * MySQL and SQLite, lower case on PostgreSQL. A changeset maps by its ID when that is a version,
 * else by the leading version of its ID (dotted, as Liquibase ids are) or of its FILENAME (its
 * leading digits, or a dotted version when the file is named like Flyway's `V1.2__x.sql`).
 * EXECUTED, MARK_RAN and RERAN count as applied. Several changesets may map to one file.
 */
export const liquibase: ToolReader = {
  tool: 'liquibase',
  table: 'DATABASECHANGELOG',
  columns: ['id', 'author', 'filename', 'dateexecuted', 'orderexecuted', 'exectype'],
  orderBy: 'orderexecuted',
  parse(rows) {
    return rows.map((row): ForeignEntry => {
      const id = text(row['id']) ?? '';
      const file = text(row['filename']) ?? '';
      const exec = (text(row['exectype']) ?? '').toUpperCase();
      const ref = `${file}::${id}::${text(row['author']) ?? ''}`;
      const key = liquibaseKey(id, file);
      const appliedAt = isoTime(row['dateexecuted']);
      if (['EXECUTED', 'MARK_RAN', 'RERAN'].includes(exec)) return { ref, key, state: 'applied', appliedAt };
      return { ref, key, state: 'skipped', appliedAt, note: `EXECTYPE ${exec || 'empty'}` };
    });
  },
};

function liquibaseKey(id: string, file: string): ForeignEntry['key'] {
  if (/^[Vv]?\d+(?:[._]\d+)*$/.test(id)) return { kind: 'version', raw: id.replace(/^[Vv]/, '') };
  if (/^[Vv]?\d/.test(id)) return { kind: 'name', name: id, dotted: true };
  const base = file.replace(/^.*[/\\]/, '');
  return { kind: 'name', name: file, dotted: /^[Vv]\d+(?:[._]\d+)*__/.test(base) };
}

/**
 * goose: `goose_db_version (id serial PK, version_id bigint NOT NULL, is_applied boolean NOT NULL,
 * tstamp timestamp NULL default now())` (INTEGER columns on SQLite). goose appends a row per up
 * and per down: the latest row of a version decides. version_id 0 is goose's own first row.
 */
export const goose: ToolReader = {
  tool: 'goose',
  table: 'goose_db_version',
  columns: ['id', 'version_id', 'is_applied', 'tstamp'],
  orderBy: 'id',
  parse(rows) {
    const latest = new Map<string, ForeignEntry>();
    for (const row of rows) {
      const version = text(row['version_id']) ?? '';
      if (version === '0') continue;
      const applied = truthy(row['is_applied']);
      latest.delete(version);
      latest.set(version, { ref: `version_id ${version}`, key: { kind: 'version', raw: version }, state: applied ? 'applied' : 'skipped', appliedAt: isoTime(row['tstamp']), ...(applied ? {} : { note: 'rolled back by goose (is_applied false)' }) });
    }
    return [...latest.values()];
  },
};

/**
 * golang-migrate: `schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`
 * (SQLite: `version uint64, dirty bool` plus a unique index). One row: the current version, so it
 * and every lower version are applied. A dirty row is refused: the last migration stopped part-way.
 * dbmate and Rails use the same table name without `dirty`: such a table is refused (`telltale`).
 */
export const golangMigrate: ToolReader = {
  tool: 'golang-migrate',
  table: 'schema_migrations',
  columns: ['version', 'dirty'],
  telltale: {
    column: 'dirty',
    hasIt: true,
    refusal: (table) => refused(`${table} has a version column but no dirty column: it looks like dbmate's or Rails's schema_migrations (one row per applied version), not golang-migrate's`, 'Use --from dbmate or --from rails, whichever tool wrote it. Nothing was written.', { table, column: 'dirty' }),
  },
  parse(rows, table) {
    if (rows.length > 1) throw refused(`${table} holds ${rows.length} rows; golang-migrate keeps exactly one`, 'Check --from: dbmate and Rails keep one row per version in their schema_migrations. Nothing was written.', { table, rows: rows.length });
    const row = rows[0];
    if (row === undefined) return [];
    const version = text(row['version']) ?? '';
    if (truthy(row['dirty'])) {
      throw refused(
        `${table} says version ${version} is dirty: golang-migrate stopped part-way through it, so the database may hold only part of that migration`,
        `Fix the database by hand, then clear the flag with golang-migrate's own CLI (its "migrate" command, not this tool): "migrate -path <dir> -database <url> force ${version}" (or force the previous version if you undid it), and import again. Nothing was written.`,
        { table, version, dirty: true },
      );
    }
    return [{ ref: `version ${version}`, key: { kind: 'version', raw: version }, state: 'head' }];
  },
};

const versionRows: ToolReader['parse'] = (rows) => rows.map((row): ForeignEntry => {
  const version = text(row['version']) ?? '';
  return { ref: `version ${version}`, key: { kind: 'version', raw: version }, state: 'applied' };
});

/** A schema_migrations with golang-migrate's `dirty` column, read as dbmate's or Rails's: refused. */
function notGolangMigrate(tool: string): NonNullable<ToolReader['telltale']> {
  return {
    column: 'dirty',
    hasIt: false,
    refusal: (table) => refused(`${table} has a dirty column: it looks like golang-migrate's schema_migrations (one row, the current version, and a dirty flag), not ${tool}'s`, 'Use --from golang-migrate, which reads the dirty flag and the version as golang-migrate means them. Nothing was written.', { table, column: 'dirty' }),
  };
}

/** dbmate: `schema_migrations (version varchar(128) primary key)` (dbmate's drivers): one row per applied version. */
export const dbmate: ToolReader = { tool: 'dbmate', table: 'schema_migrations', columns: ['version'], orderBy: 'version', telltale: notGolangMigrate('dbmate'), parse: versionRows };

/**
 * Rails (ActiveRecord): `schema_migrations ("version" character varying NOT NULL PRIMARY KEY)`:
 * one row per applied version, no dirty column, like dbmate's; `--from` tells them apart.
 */
export const rails: ToolReader = { tool: 'rails', table: 'schema_migrations', columns: ['version'], orderBy: 'version', telltale: notGolangMigrate('Rails'), parse: versionRows };

/**
 * Alembic: `alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc
 * PRIMARY KEY (version_num))`: only the head revision. It maps to the one migration file whose
 * name contains the revision id; that version and every lower one are applied. Several rows are
 * branches, which cannot be mapped onto a linear order: refused.
 */
export const alembic: ToolReader = {
  tool: 'alembic',
  table: 'alembic_version',
  columns: ['version_num'],
  parse(rows, table) {
    if (rows.length > 1) {
      const heads = rows.map((row) => text(row['version_num']) ?? '');
      throw refused(`${table} holds ${rows.length} heads (${heads.join(', ')}): the Alembic history has branches, which migrator's linear versions cannot represent`, 'Merge the branches with "alembic merge heads" and "alembic upgrade head", then import again; or adopt the database with "migrate baseline --version <v>".', { table, heads });
    }
    return rows.map((row): ForeignEntry => {
      const revision = text(row['version_num']) ?? '';
      return { ref: `revision ${revision}`, key: { kind: 'revision', revision }, state: 'head' };
    });
  },
};
