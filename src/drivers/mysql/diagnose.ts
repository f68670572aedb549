/**
 * `Driver.diagnose` for MySQL and MariaDB: VERSION(), what SHOW GRANTS gives CURRENT_USER() on the
 * connection's database and migrator's tables, the size information_schema reports, and free space
 * in @@datadir when the server runs on this machine. Reads only: it runs on read-only sessions.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Diagnosis, PrivilegeCheck, StorageFacts } from '../../core/ports.js';
import { TABLES, existingTables } from './metadata.js';
import type { MysqlSession } from './session.js';
import { hasPrivilege, parseGrants, type GrantLine } from './grants.js';
import { bytes, isLoopback, measure, unknown } from '../shared/disk.js';
import { requirement, type Grant } from '../shared/requirement.js';

interface Facts {
  readonly version: string;
  /** `user@host` as the server matched the login. */
  readonly user: string;
  readonly database: string;
  readonly datadir: string | null;
  readonly log_bin: number | string | null;
  readonly trust: number | string | null;
}

/** A read whose failure (a privilege, performance_schema off) only makes a fact unknown. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** Implements `Driver.diagnose`; `lockStrategy` decides whether migrator_lock's grants matter. */
export async function diagnoseMysql(session: MysqlSession, lockStrategy: 'advisory' | 'table'): Promise<Diagnosis> {
  const [facts] = await session.rows<Facts>(`SELECT VERSION() AS version, CURRENT_USER() AS user, DATABASE() AS \`database\`,
    @@datadir AS datadir, @@log_bin AS log_bin, @@log_bin_trust_function_creators AS trust`);
  const version = String(facts?.version ?? '');
  return {
    server: session.flavour === 'mariadb' ? `MariaDB ${version.replace('-MariaDB', '')}` : `MySQL ${version}`,
    user: String(facts?.user ?? ''),
    privileges: facts === undefined ? [] : await privileges(session, facts, lockStrategy),
    storage: facts === undefined ? unknown(undefined, 'the server did not say') : await storage(session, facts),
  };
}

async function storage(session: MysqlSession, facts: Facts): Promise<StorageFacts> {
  // Only the tables this user can see are counted.
  const size = bytes(await optional(() => session.value('SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')));
  // The server's view of this connection's client: loopback or a socket means the same machine
  // (through a container's port mapping the server sees the bridge's address instead).
  const client = await optional(() => session.value('SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()'));
  if (!isLoopback(typeof client === 'string' ? client : undefined)) return unknown(size, 'the server runs on another machine (or in a container): its disk cannot be measured from here');
  if (!facts.datadir) return unknown(size, 'the server did not name its data directory');
  const dir = facts.datadir.replace(/[/\\]+$/, '') || facts.datadir;
  // Each database is a directory of the datadir: a directory of that name here without it is another server's.
  if (/^[A-Za-z0-9_$]+$/.test(facts.database)) {
    const own = await fs.stat(path.join(dir, facts.database)).then(() => 'yes', (error: NodeJS.ErrnoException) => error.code);
    if (own === 'ENOENT') return unknown(size, `${dir} on this machine is not the data directory of this server`);
  }
  return measure(dir, size);
}

/** The grants of CURRENT_USER() and its active roles (MySQL 8 lists a role's privileges only with USING). */
async function grantLines(session: MysqlSession): Promise<GrantLine[]> {
  const lines = (await session.column('SHOW GRANTS')).map(String);
  if (session.flavour === 'mysql') {
    const roles = await optional(() => session.value('SELECT CURRENT_ROLE()'));
    if (typeof roles === 'string' && roles !== 'NONE' && roles !== '') {
      lines.push(...(await optional(async () => (await session.column(`SHOW GRANTS FOR CURRENT_USER() USING ${roles}`)).map(String)) ?? []));
    }
  }
  return parseGrants(lines);
}

const ident = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** `'user'@'host'` from CURRENT_USER()'s `user@host`. */
function account(user: string): string {
  const at = user.lastIndexOf('@');
  const quote = (part: string) => `'${part.replace(/'/g, "''")}'`;
  return at < 0 ? quote(user) : `${quote(user.slice(0, at))}@${quote(user.slice(at + 1))}`;
}

async function privileges(session: MysqlSession, facts: Facts, lockStrategy: 'advisory' | 'table'): Promise<PrivilegeCheck[]> {
  const db = facts.database;
  const grants = await grantLines(session);
  const present = await existingTables(session, [TABLES.meta, TABLES.history, TABLES.audit, TABLES.lock]);
  const to = account(facts.user);
  const on = (table: string, names: ReadonlyArray<string>): Grant[] => names.map((name) => [name, hasPrivilege(grants, name, db, table)]);
  const check = (table: string | undefined, neededFor: 'read' | 'migrate', granted: ReadonlyArray<Grant>, why: string): PrivilegeCheck => {
    // MySQL refuses a grant on a table that does not exist yet (ER_NO_SUCH_TABLE): grant on the database then.
    const object = table === undefined || !present.has(table) ? `${ident(db)}.*` : `${ident(db)}.${ident(table)}`;
    return requirement(table === undefined ? `database ${db}` : `${db}.${table}`, neededFor, granted, why, (missing) => `GRANT ${missing.join(', ')} ON ${object} TO ${to}`);
  };
  const checks: PrivilegeCheck[] = [];
  for (const table of [TABLES.meta, TABLES.history].filter((t) => present.has(t))) {
    checks.push(check(table, 'read', on(table, ['SELECT']), 'every command reads the metadata format and history'));
  }
  checks.push(check(undefined, 'migrate', [['CREATE', hasPrivilege(grants, 'CREATE', db)]], 'migrator creates its tables there, and CREATE TABLE IF NOT EXISTS asks for it on every run'));
  // A table not created yet needs SELECT too; an existing one had it checked above.
  const writes = (table: string, names: ReadonlyArray<string>) => (present.has(table) ? names : ['SELECT', ...names]);
  checks.push(check(TABLES.meta, 'migrate', on(TABLES.meta, writes(TABLES.meta, ['INSERT', 'UPDATE'])), 'the metadata format is recorded there'));
  checks.push(check(TABLES.history, 'migrate', on(TABLES.history, writes(TABLES.history, ['INSERT', 'UPDATE'])), 'each run records its migrations there'));
  checks.push(check(TABLES.audit, 'migrate', on(TABLES.audit, ['SELECT', 'INSERT']), 'each run appends its audit rows'));
  if (lockStrategy === 'table') checks.push(check(TABLES.lock, 'migrate', on(TABLES.lock, ['SELECT', 'INSERT', 'UPDATE']), 'the run lock is a lease row there (lock.strategy: table)'));
  checks.push(...await triggerChecks(session, facts, grants, check));
  return checks;
}

/** TRIGGER (and, with binary logging, SUPER) while the audit table's append-only triggers are missing. */
async function triggerChecks(session: MysqlSession, facts: Facts, grants: ReadonlyArray<GrantLine>, check: (table: string | undefined, neededFor: 'migrate', granted: ReadonlyArray<Grant>, why: string) => PrivilegeCheck): Promise<PrivilegeCheck[]> {
  const names = ['update', 'delete'].map((event) => `${TABLES.audit}_no_${event}`);
  const found = await session.column(`SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN (?, ?)`, names);
  if (found.length === names.length) return [];
  const why = 'the next writing run creates the triggers that keep migrator_audit append-only';
  const checks = [check(TABLES.audit, 'migrate', [['TRIGGER', hasPrivilege(grants, 'TRIGGER', facts.database, TABLES.audit)]], why)];
  if (Number(facts.log_bin) === 1 && Number(facts.trust) !== 1) {
    const superUser = grants.some((g) => g.database === '*' && (g.privileges.has('SUPER') || g.privileges.has('ALL')));
    checks.push({
      privilege: 'SUPER (binary logging is on)', neededFor: 'migrate', ok: superUser,
      detail: superUser ? 'granted' : `missing SUPER: with binary logging on, creating a trigger needs it, unless log_bin_trust_function_creators = 1 (${why})`,
      fix: `GRANT SUPER ON *.* TO ${account(facts.user)}, or SET GLOBAL log_bin_trust_function_creators = 1`,
    });
  }
  return checks;
}
