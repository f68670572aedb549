/**
 * `Driver.diagnose` for PostgreSQL: the server version, what the session's current_user may do
 * with migrator's schema and tables (has_schema_privilege, has_table_privilege), the database size,
 * and free space in the data directory when the server runs on this machine and lets this user see
 * where that is. Plain SELECTs only: it runs on read-only sessions and takes no lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Diagnosis, PrivilegeCheck, StorageFacts } from '../../core/ports.js';
import { TABLES } from './metadata.js';
import type { PgSession } from './session.js';
import { bytes, measure, unknown } from '../shared/disk.js';
import { requirement, type Grant } from '../shared/requirement.js';

/** The triggers that keep migrator_audit append-only (metadata.ts creates them when missing). */
const AUDIT_TRIGGERS = ['update', 'delete', 'truncate'].map((event) => `${TABLES.audit}_no_${event}`);

interface Identity {
  readonly user: string;
  readonly version: string;
  readonly major: number;
  /** The connection reached the server over a Unix socket or loopback: it runs on this machine. */
  readonly local: boolean;
}

/** Implements `Driver.diagnose`; `lockStrategy` decides whether migrator_lock's grants matter. */
export async function diagnosePostgres(session: PgSession, lockStrategy: 'advisory' | 'table'): Promise<Diagnosis> {
  const { rows: [row] } = await session.query<Identity & { major: string }>(`SELECT current_user AS "user",
      current_setting('server_version') AS version, current_setting('server_version_num')::int / 10000 AS major,
      (inet_server_addr() IS NULL OR host(inet_server_addr()) = '::1' OR host(inet_server_addr()) LIKE '127.%') AS local`);
  const identity: Identity = { user: row?.user ?? '', version: row?.version ?? '', major: Number(row?.major ?? 0), local: row?.local === true };
  return {
    server: `PostgreSQL ${identity.version}`,
    user: identity.user,
    privileges: await privileges(session, identity.user, lockStrategy),
    storage: await storage(session, identity),
  };
}

/** A query whose failure (a privilege, a setting) only makes a fact unknown. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

async function storage(session: PgSession, identity: Identity): Promise<StorageFacts> {
  const size = bytes(await optional(async () => (await session.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0]?.size));
  if (!identity.local) return unknown(size, 'the server runs on another machine (or in a container): its disk cannot be measured from here');
  // data_directory is visible only to superusers and members of pg_read_all_settings.
  const dir = await optional(async () => (await session.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`)).rows[0]?.dir);
  if (dir === undefined) return unknown(size, 'the data directory is shown only to superusers and members of pg_read_all_settings');
  // A directory of that name here could belong to another server: PG_VERSION, when readable, must agree.
  const major = await optional(async () => (await fs.readFile(path.join(dir, 'PG_VERSION'), 'utf8')).trim());
  if (major !== undefined && major !== String(identity.major)) return unknown(size, `${dir} on this machine belongs to another PostgreSQL (version ${major})`);
  return measure(dir, size);
}

async function privileges(session: PgSession, user: string, lockStrategy: 'advisory' | 'table'): Promise<PrivilegeCheck[]> {
  const schema = session.schema;
  const role = pg.escapeIdentifier(user);
  if (schema === undefined) {
    return [{ privilege: 'a schema for the metadata tables', neededFor: 'migrate', ok: false, detail: 'no schema named in search_path exists',
      fix: `CREATE SCHEMA app; ALTER ROLE ${role} SET search_path = app (or name an existing schema in search_path)` }];
  }
  const { rows: [granted] } = await session.query<{ usage: boolean; create: boolean }>(`SELECT has_schema_privilege($1, 'USAGE') AS usage, has_schema_privilege($1, 'CREATE') AS create`, [schema]);
  const onSchema = (missing: ReadonlyArray<string>) => `GRANT ${missing.join(', ')} ON SCHEMA ${pg.escapeIdentifier(schema)} TO ${role}`;
  const checks = [
    requirement(`schema ${schema}`, 'read', [['USAGE', granted?.usage]], 'the metadata tables are read there', onSchema),
    requirement(`schema ${schema}`, 'migrate', [['CREATE', granted?.create]], 'migrator creates its tables, sequence, function and triggers there, and CREATE TABLE IF NOT EXISTS asks for it on every run', onSchema),
  ];
  // Without USAGE every lookup of a table in the schema fails: the check above already says so.
  if (granted?.usage !== true) return checks;
  return [...checks, ...await tableChecks(session, role, lockStrategy)];
}

interface TableGrants {
  readonly name: string;
  readonly select: boolean;
  readonly insert: boolean;
  readonly update: boolean;
  readonly trigger: boolean;
}

/** Grants on the metadata tables that exist; a table not created yet is the schema's CREATE's business. */
async function tableChecks(session: PgSession, role: string, lockStrategy: 'advisory' | 'table'): Promise<PrivilegeCheck[]> {
  const names = [TABLES.meta, TABLES.history, TABLES.audit, TABLES.lock];
  const { rows } = await session.query<TableGrants>(`SELECT name, has_table_privilege(r::oid, 'SELECT') AS select, has_table_privilege(r::oid, 'INSERT') AS insert,
      has_table_privilege(r::oid, 'UPDATE') AS update, has_table_privilege(r::oid, 'TRIGGER') AS trigger
    FROM (VALUES ${names.map((name, i) => `('${name}', to_regclass($${i + 1}))`).join(', ')}) AS t(name, r) WHERE r IS NOT NULL`, names.map((name) => session.table(name)));
  const table = new Map(rows.map((r) => [r.name, r]));
  const checks: PrivilegeCheck[] = [];
  const add = (name: string, neededFor: 'read' | 'migrate', grants: ReadonlyArray<Grant>, why: string) => {
    checks.push(requirement(session.table(name).replace(/"/g, ''), neededFor, grants, why, (missing) => `GRANT ${missing.join(', ')} ON ${session.table(name)} TO ${role}`));
  };
  for (const name of [TABLES.meta, TABLES.history]) {
    const t = table.get(name);
    if (t === undefined) continue;
    add(name, 'read', [['SELECT', t.select]], 'every command reads the metadata format and history');
    add(name, 'migrate', [['INSERT', t.insert], ['UPDATE', t.update]], name === TABLES.meta ? 'the metadata format is recorded there' : 'each run records its migrations there');
  }
  const audit = table.get(TABLES.audit);
  if (audit !== undefined) {
    add(TABLES.audit, 'migrate', [['SELECT', audit.select], ['INSERT', audit.insert]], 'each run appends its audit rows');
    checks.push(...await auditExtras(session, role, audit));
  }
  const lock = table.get(TABLES.lock);
  if (lock !== undefined && lockStrategy === 'table') {
    add(TABLES.lock, 'migrate', [['SELECT', lock.select], ['INSERT', lock.insert], ['UPDATE', lock.update]], 'the run lock is a lease row there (lock.strategy: table)');
  }
  return checks;
}

/** The audit table's id sequence, and TRIGGER when its append-only triggers must be created again. */
async function auditExtras(session: PgSession, role: string, audit: TableGrants): Promise<PrivilegeCheck[]> {
  const qualified = session.table(TABLES.audit);
  const { rows: [seq] } = await session.query<{ name: string | null; usage: boolean | null }>(`SELECT pg_get_serial_sequence($1, 'id') AS name,
      has_sequence_privilege(pg_get_serial_sequence($1, 'id'), 'USAGE') AS usage`, [qualified]);
  const { rows: triggers } = await session.query<{ name: string }>('SELECT tgname AS name FROM pg_trigger WHERE tgrelid = to_regclass($1)', [qualified]);
  const checks: PrivilegeCheck[] = [];
  if (seq?.name) {
    checks.push(requirement(`sequence ${seq.name}`, 'migrate', [['USAGE', seq.usage ?? undefined]], 'audit rows take their id from it', (missing) => `GRANT ${missing.join(', ')} ON SEQUENCE ${seq.name ?? ''} TO ${role}`));
  }
  const present = new Set(triggers.map((t) => t.name));
  if (AUDIT_TRIGGERS.some((name) => !present.has(name))) {
    checks.push(requirement(qualified.replace(/"/g, ''), 'migrate', [['TRIGGER', audit.trigger]], 'its append-only triggers are missing, and the next writing run creates them again', (missing) => `GRANT ${missing.join(', ')} ON ${qualified} TO ${role}`));
  }
  return checks;
}
