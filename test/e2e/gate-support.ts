/**
 * Support for the CI-gate acceptance (gate.test.ts): what "the database did not change" means on
 * each engine, and a PostgreSQL role that can only read. Like the other e2e helpers, nothing here
 * imports src/: the database is read with the engines' own dump tools and plain client libraries.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { admin, type Server } from '../support/databases.js';
import type { Target } from './engines/support.js';
import type { Cleanup, Project } from './helpers.js';

const run = promisify(execFile);
const MAX_BUFFER = 16 * 1024 * 1024;

/** The dump program each server engine's snapshot needs. */
export const DUMP_TOOL = { postgres: 'pg_dump', mysql: 'mariadb-dump' } as const;

/** Why a snapshot of `engine` cannot be taken on this machine (its dump tool is not on PATH), or undefined. */
export function missingDumpTool(engine: 'postgres' | 'mysql' | 'sqlite'): string | undefined {
  if (engine === 'sqlite') return undefined;
  const tool = DUMP_TOOL[engine];
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter);
  return dirs.some((dir) => fs.existsSync(path.join(dir, tool))) ? undefined : `${tool} is not on PATH`;
}

function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function myIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * Everything a read-only command must leave as it was, as one comparable text:
 * - SQLite: whether the file exists, the sha256 of its bytes, and every file of the project
 *   directory with its size (a -wal, -shm or -journal file left behind shows up);
 * - PostgreSQL: `pg_dump --schema-only` (without the per-run `\restrict` key), `count(*)` of every
 *   table of every schema (migrator_* included), and every sequence's last value;
 * - MariaDB: `mariadb-dump --no-data --skip-comments` (AUTO_INCREMENT counters included) and
 *   `COUNT(*)` of every table.
 */
export async function snapshot(target: Target, project: Project): Promise<string> {
  if (target.engine === 'sqlite') {
    const exists = fs.existsSync(project.dbPath);
    const digest = exists ? createHash('sha256').update(fs.readFileSync(project.dbPath)).digest('hex') : '(no file)';
    return [`exists: ${String(exists)}`, `sha256: ${digest}`, 'files:', ...project.listing()].join('\n');
  }
  if (target.engine === 'postgres') {
    const { stdout } = await run(DUMP_TOOL.postgres, ['--schema-only', `--dbname=${target.url}`], { maxBuffer: MAX_BUFFER });
    const dump = stdout.split('\n').filter((line) => !/^\\(?:un)?restrict /.test(line)).join('\n');
    const tables = await target.rows<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    const counts: string[] = [];
    for (const table of tables) {
      const [row] = await target.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${pgIdent(table.schema)}.${pgIdent(table.name)}`);
      counts.push(`${table.schema}.${table.name}: ${String(row?.n)} rows`);
    }
    const sequences = await target.rows<{ schema: string; name: string; last: string | null }>(
      'SELECT schemaname AS schema, sequencename AS name, last_value::text AS last FROM pg_sequences ORDER BY 1, 2',
    );
    return [dump, '-- row counts', ...counts, '-- sequences', ...sequences.map((s) => `${s.schema}.${s.name}: ${String(s.last)}`)].join('\n');
  }
  const url = new URL(target.url);
  const password = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.slice(1));
  const { stdout } = await run(
    DUMP_TOOL.mysql,
    ['-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username), '--no-data', '--skip-comments', '--routines', '--triggers', database],
    // MYSQL_PWD keeps the password off the command line.
    { env: password === '' ? process.env : { ...process.env, MYSQL_PWD: password }, maxBuffer: MAX_BUFFER },
  );
  const tables = await target.rows<{ name: string }>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  const counts: string[] = [];
  for (const table of tables) {
    const [row] = await target.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${myIdent(table.name)}`);
    counts.push(`${table.name}: ${String(row?.n)} rows`);
  }
  return [stdout, '-- row counts', ...counts].join('\n');
}

/** Names of the migrator_* tables of the target, in any schema ([] on SQLite when there is no file). */
export async function metadataTables(target: Target, project: Project): Promise<string[]> {
  if (target.engine === 'sqlite') {
    if (!fs.existsSync(project.dbPath)) return [];
    return (await target.rows<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'migrator%' ORDER BY name`)).map((r) => r.name);
  }
  if (target.engine === 'postgres') {
    return (await target.rows<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_name LIKE 'migrator%' ORDER BY 1`,
    )).map((r) => r.name);
  }
  return (await target.rows<{ name: string }>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'migrator%' ORDER BY 1`,
  )).map((r) => r.name);
}

/** A PostgreSQL login role that may read the target database and nothing else. */
export interface ReadOnlyRole {
  readonly name: string;
  /** `--url` for the role: the target's URL with the role as user and no password. */
  readonly url: string;
  /**
   * Makes the role able to read, and only read: the database's and schema public's PUBLIC grants
   * revoked (so nothing comes through PUBLIC), CONNECT on the database, USAGE on public, SELECT on
   * the tables that exist NOW. Call it after the superuser's partial `up`.
   */
  grantSelectOnly(): Promise<void>;
  /** What PostgreSQL says the role may do (to prove the set-up is what the test claims). */
  privileges(): Promise<Record<string, boolean>>;
}

/**
 * Creates a uniquely named LOGIN role (password 'x', which trust authentication ignores) for the
 * target's database; when the test finishes, what it owns or was granted there is dropped
 * (REASSIGN OWNED / DROP OWNED), then the role.
 */
export async function createReadOnlyRole(server: Server, target: Target, cleanup: Cleanup): Promise<ReadOnlyRole> {
  const name = `mt_ro_${randomBytes(4).toString('hex')}`;
  const role = pgIdent(name);
  await admin(server, `CREATE ROLE ${role} LOGIN PASSWORD 'x'`);
  cleanup.onTestFinished(async () => {
    // The database may already be dropped (with it, every grant in it); then only the role is left.
    const client = new pg.Client({ connectionString: target.url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`);
      await client.query(`DROP OWNED BY ${role}`);
    } catch (error) {
      if (!/does not exist/.test((error as Error).message)) throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await admin(server, `DROP ROLE IF EXISTS ${role}`);
  });
  const url = new URL(target.url);
  url.username = name;
  url.password = '';
  const database = pgIdent(target.name);
  return {
    name,
    url: url.toString(),
    async grantSelectOnly() {
      for (const sql of [
        `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
        'REVOKE ALL ON SCHEMA public FROM PUBLIC',
        `GRANT CONNECT ON DATABASE ${database} TO ${role}`,
        `GRANT USAGE ON SCHEMA public TO ${role}`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
      ]) await target.rows(sql);
    },
    async privileges() {
      const literal = `'${name}'`;
      const [row] = await target.rows<Record<string, boolean>>(`SELECT
          has_database_privilege(${literal}, current_database(), 'CONNECT') AS connect,
          has_database_privilege(${literal}, current_database(), 'CREATE') AS create_schema,
          has_database_privilege(${literal}, current_database(), 'TEMP') AS temp,
          has_schema_privilege(${literal}, 'public', 'USAGE') AS usage,
          has_schema_privilege(${literal}, 'public', 'CREATE') AS create_in_public,
          (SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = ${literal}) AS elevated`);
      const tables = await target.rows<{ name: string; can_select: boolean; can_write: boolean }>(`SELECT c.relname AS name,
          has_table_privilege(${literal}, c.oid, 'SELECT') AS can_select,
          has_table_privilege(${literal}, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS can_write
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'`);
      return {
        ...row,
        select_on_every_table: tables.every((t) => t.can_select),
        write_on_any_table: tables.some((t) => t.can_write),
      };
    },
  };
}
