/**
 * The secret canary of test/e2e/canary.test.ts: a password full of URL-reserved and quoting
 * characters, every form it could leak in (literal, URL-encoded either case, JSON-escaped, and the
 * fragments a URL parser would cut it into), a scanner that names where a form appeared, database
 * accounts whose password IS the canary, and a dump of every migrator_* row of a database.
 * Nothing here imports src/: the CLI stays a black box.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { admin, type Server } from '../support/databases.js';

export interface Canary {
  /** The password itself: `Cn4ry-<hex>-p@ss:/#?%'"`. */
  readonly value: string;
  /** `encodeURIComponent(value)`: what a well-formed URL carries in its userinfo or query. */
  readonly encoded: string;
  /** The distinctive random part, `Cn4ry-<hex>`: found anywhere, some of the password leaked. */
  readonly random: string;
  /** Every form to look for, by name (longest first, so the most specific name is reported). */
  readonly forms: ReadonlyArray<{ readonly name: string; readonly text: string }>;
}

const json = (text: string): string => JSON.stringify(text).slice(1, -1);
const lowerHex = (text: string): string => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());

/**
 * The constant tail of the canary, from its `/` on: what is left of the password when a URL parser
 * cuts it at a reserved character (`@`, `:`, `/`) and a redactor masks only the part before the cut.
 */
export const CANARY_TAIL = `#?%'"`;

export function createCanary(): Canary {
  const random = `Cn4ry-${randomBytes(6).toString('hex')}`;
  const value = `${random}-p@ss:/#?%'"`;
  const encoded = encodeURIComponent(value);
  const candidates = [
    { name: 'literal', text: value },
    { name: 'url-encoded', text: encoded },
    { name: 'url-encoded (lowercase hex)', text: lowerHex(encoded) },
    { name: 'encodeURI form', text: encodeURI(value) },
    { name: 'json-escaped', text: json(value) },
    { name: 'json-escaped url-encoded', text: json(encoded) },
    { name: 'json-escaped twice', text: json(json(value)) },
    { name: 'random part Cn4ry-<hex>', text: random },
    { name: `password tail ${CANARY_TAIL}`, text: CANARY_TAIL },
    { name: 'password tail, json-escaped', text: json(CANARY_TAIL) },
    { name: 'password tail, url-encoded', text: encodeURIComponent(CANARY_TAIL) },
    { name: 'password tail, url-encoded (lowercase hex)', text: lowerHex(encodeURIComponent(CANARY_TAIL)) },
  ];
  const unique = new Map(candidates.map((form) => [form.text, form]));
  return { value, encoded, random, forms: [...unique.values()].sort((a, b) => b.text.length - a.text.length) };
}

/**
 * Every place in `text` where a form of the canary appears, as `<where>: <form> in "...context..."`
 * ([] when none). A shorter form found only inside a longer one already reported is not repeated.
 */
export function findLeaks(canary: Canary, where: string, text: string): string[] {
  const found: string[] = [];
  const covered: Array<[number, number]> = [];
  for (const form of canary.forms) {
    let from = 0;
    for (;;) {
      const at = text.indexOf(form.text, from);
      if (at === -1) break;
      from = at + 1;
      const end = at + form.text.length;
      if (covered.some(([start, stop]) => at >= start && end <= stop)) continue;
      covered.push([at, end]);
      const context = text.slice(Math.max(0, at - 60), Math.min(text.length, end + 40)).replace(/\n/g, '\\n');
      found.push(`${where}: ${form.name} in "${context}"`);
    }
  }
  return found;
}

/** Leaks in a parsed JSON document's string values (decoded: an escape cannot hide the literal). */
export function findLeaksInJson(canary: Canary, where: string, value: unknown, path = '$'): string[] {
  if (typeof value === 'string') return findLeaks(canary, `${where} ${path}`, value);
  if (Array.isArray(value)) return value.flatMap((item, i) => findLeaksInJson(canary, where, item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [...findLeaks(canary, `${where} key ${path}`, key), ...findLeaksInJson(canary, where, item, `${path}.${key}`)]);
  }
  return [];
}

/** `url` with its user and password replaced (`password` is put in as given: encoded, raw, or none). */
export function withCredentials(url: string, user: string, password: string | undefined, changes: { host?: string; query?: string } = {}): string {
  const parsed = new URL(url);
  const userinfo = password === undefined ? user : `${user}:${password}`;
  return `${parsed.protocol}//${userinfo}@${changes.host ?? parsed.host}${parsed.pathname}${changes.query ?? parsed.search}`;
}

/** A login on a server whose password is the canary, and how to let it own a test database. */
export interface CanaryAccount {
  readonly user: string;
  /** Makes `database` usable by the account (owner on PostgreSQL, ALL on MySQL). */
  grant(database: string): Promise<void>;
  drop(): Promise<void>;
}

/**
 * Creates a login whose password is the canary: it authenticates whatever the server's auth method
 * (trust or password), so a successful run really passed the canary to the server.
 */
export async function createCanaryAccount(server: Server, canary: Canary): Promise<CanaryAccount> {
  const user = `mt_${canary.random.toLowerCase().replace(/-/g, '_')}`;
  if (server.engine === 'postgres') {
    // Dollar quoting: the canary holds ' and " but no $.
    await admin(server, `CREATE ROLE "${user}" LOGIN PASSWORD $canary$${canary.value}$canary$`);
    return {
      user,
      grant: (database) => admin(server, `ALTER DATABASE "${database}" OWNER TO "${user}"`),
      drop: () => admin(server, `DROP ROLE IF EXISTS "${user}"`),
    };
  }
  await admin(server, `CREATE USER '${user}'@'%' IDENTIFIED BY '${canary.value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`);
  return {
    user,
    grant: (database) => admin(server, `GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'%'`),
    drop: () => admin(server, `DROP USER IF EXISTS '${user}'@'%'`),
  };
}

/** Every row of every `migrator_*` table of the database at `url` (admin credentials), by table. */
export async function dumpMetadata(engine: Server['engine'], url: string): Promise<Record<string, Array<Record<string, unknown>>>> {
  const dump: Record<string, Array<Record<string, unknown>>> = {};
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: url, application_name: 'canary-e2e-reader' });
    await client.connect();
    try {
      const tables = await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_name LIKE 'migrator%' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      for (const table of tables.rows) {
        dump[table.name] = (await client.query<Record<string, unknown>>(`SELECT * FROM "${table.schema}"."${table.name}"`)).rows;
      }
    } finally {
      await client.end();
    }
    return dump;
  }
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [tables] = await connection.query(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'migrator%' ORDER BY 1`);
    for (const table of tables as Array<{ name: string }>) {
      const [rows] = await connection.query(`SELECT * FROM \`${table.name}\``);
      dump[table.name] = rows as Array<Record<string, unknown>>;
    }
  } finally {
    await connection.end();
  }
  return dump;
}

/** Every row of every `migrator_*` table of a SQLite file ({} when the file does not exist). */
export function dumpSqliteMetadata(file: string): Record<string, Array<Record<string, unknown>>> {
  if (!fs.existsSync(file)) return {};
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'migrator%' ORDER BY name`).all() as Array<{ name: string }>;
    return Object.fromEntries(tables.map((table) => [table.name, db.prepare(`SELECT * FROM "${table.name}"`).all() as Array<Record<string, unknown>>]));
  } finally {
    db.close();
  }
}

/** Leaks in every cell of a metadata dump, each named `<table>.<column> row <n>`. */
export function findLeaksInDump(canary: Canary, dump: Record<string, Array<Record<string, unknown>>>): string[] {
  return Object.entries(dump).flatMap(([table, rows]) =>
    rows.flatMap((row, n) =>
      Object.entries(row).flatMap(([column, value]) => {
        if (value === null || value === undefined) return [];
        const text = value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value);
        return findLeaks(canary, `db ${table}.${column} row ${n + 1}`, text);
      }),
    ),
  );
}
