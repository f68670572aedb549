/**
 * The same end-to-end scenario on every engine: which engines this machine can run (a server
 * engine is skipped with findServer's one-line reason), a fresh database per test reached through
 * `--url`, and read-only views of what the CLI left in it. The CLI stays a black box: nothing here
 * imports src/; the database is read through the plain client libraries.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createDatabase, findServer, type Server } from '../../support/databases.js';
import { jsonDoc, type Cleanup, type CliResult, type Project } from '../helpers.js';

export type Engine = 'postgres' | 'mysql' | 'sqlite';

/** One engine of a parameterised suite: its server, or why it is skipped (SQLite never is). */
export interface EngineCase {
  readonly engine: Engine;
  readonly server: Server | undefined;
  readonly skip: string | undefined;
}

/**
 * Looks the engines up once per test file (top-level await). A missing server becomes a skip
 * reason, printed once; under CI=true findServer throws instead, failing the file.
 */
export async function engineCases(engines: ReadonlyArray<Engine>): Promise<EngineCase[]> {
  const cases: EngineCase[] = [];
  for (const engine of engines) {
    if (engine === 'sqlite') {
      cases.push({ engine, server: undefined, skip: undefined });
      continue;
    }
    const { server, skip } = await findServer(engine);
    if (skip !== undefined) console.warn(skip);
    cases.push({ engine, server, skip });
  }
  return cases;
}

/** A history row as the tests read it. */
export interface HistoryEntry {
  readonly version: string;
  readonly state: string;
  readonly statementsApplied: number;
  readonly statementsTotal: number;
}

/** A fresh database of one engine, the `--url` that reaches it, and read-only queries on it. */
export interface Target {
  readonly engine: Engine;
  /** What `--url` gets. SQLite's is relative to the project directory (the CLI's cwd). */
  readonly url: string;
  /** The database's name on a server engine (dumps, KILL lookups); the file path on SQLite. */
  readonly name: string;
  /** Rows of one query run on this database (outside the CLI). */
  rows<T extends object>(sql: string): Promise<T[]>;
  tableExists(name: string): Promise<boolean>;
  /** `migrator_history` in write order; [] before the metadata tables exist. */
  history(): Promise<HistoryEntry[]>;
  /** `migrator_audit` events with their version, in order; [] before the metadata tables exist. */
  auditEvents(): Promise<Array<{ event: string; version: string | null }>>;
}

/**
 * A fresh database for one test: a new server database (dropped when the test finishes), or the
 * project's `migrator.db` on SQLite (removed with the project directory).
 */
export async function createTarget(engineCase: EngineCase, project: Project, label: string, cleanup: Cleanup): Promise<Target> {
  if (engineCase.engine === 'sqlite') return sqliteTarget(project);
  if (engineCase.server === undefined) throw new Error(`${engineCase.engine}: no server (${engineCase.skip ?? 'unknown reason'})`);
  const database = await createDatabase(engineCase.server, label);
  const reader = engineCase.engine === 'postgres' ? await pgReader(database.url) : await mysqlReader(database.url);
  cleanup.onTestFinished(async () => {
    await reader.close();
    await database.drop();
  });
  return withViews(engineCase.engine, database.url, database.name, reader.rows, reader.tableExists);
}

interface Reader {
  rows<T extends object>(sql: string): Promise<T[]>;
  tableExists(name: string): Promise<boolean>;
  close(): Promise<void>;
}

async function pgReader(url: string): Promise<Reader> {
  // Not named migrator*: the connection-kill test terminates every backend whose name starts so.
  const client = new pg.Client({ connectionString: url, application_name: 'engines-e2e-reader' });
  client.on('error', () => undefined);
  await client.connect();
  return {
    rows: async <T extends object>(sql: string) => (await client.query(sql)).rows as T[],
    tableExists: async (name) => (await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name])).rows[0]?.found === true,
    close: () => client.end().catch(() => undefined),
  };
}

async function mysqlReader(url: string): Promise<Reader> {
  const connection = await mysql.createConnection({ uri: url });
  connection.on('error', () => undefined);
  return {
    // Autocommit: each query sees what the CLI committed so far (no REPEATABLE READ snapshot kept).
    rows: async <T extends object>(sql: string) => (await connection.query(sql))[0] as T[],
    tableExists: async (name) => {
      const [rows] = await connection.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [name]);
      return (rows as unknown[]).length > 0;
    },
    close: () => connection.end().catch(() => undefined),
  };
}

function sqliteTarget(project: Project): Target {
  const read = <T>(fn: (db: Database.Database) => T, absent: T): T => {
    if (!fs.existsSync(project.dbPath)) return absent;
    const db = new Database(project.dbPath, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return withViews(
    'sqlite',
    `sqlite:./${path.basename(project.dbPath)}`,
    project.dbPath,
    async <T extends object>(sql: string) => read((db) => db.prepare(sql).all() as T[], []),
    async (name) => read((db) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined, false),
  );
}

function withViews(engine: Engine, url: string, name: string, rows: Reader['rows'], tableExists: Reader['tableExists']): Target {
  return {
    engine,
    url,
    name,
    rows,
    tableExists,
    async history() {
      if (!(await tableExists('migrator_history'))) return [];
      const found = await rows<{ version: string; state: string; statements_applied: number | string; statements_total: number | string }>(
        'SELECT version, state, statements_applied, statements_total FROM migrator_history ORDER BY seq',
      );
      return found.map((row) => ({ version: String(row.version), state: row.state, statementsApplied: Number(row.statements_applied), statementsTotal: Number(row.statements_total) }));
    },
    async auditEvents() {
      if (!(await tableExists('migrator_audit'))) return [];
      return rows<{ event: string; version: string | null }>('SELECT event, version FROM migrator_audit ORDER BY id');
    },
  };
}

/** `migrate status --json` as the tests read it. */
export interface StatusDoc {
  readonly ok: boolean;
  readonly migrations: ReadonlyArray<{ readonly version: string; readonly state: string }>;
  readonly problems: ReadonlyArray<{ readonly code: string; readonly details?: Record<string, unknown> }>;
}

/** Parses the stdout of `status --json`, failing with the CLI's output when it did not exit 0. */
export function statusDoc(result: CliResult): StatusDoc {
  if (result.code !== 0) throw new Error(`status exited ${String(result.code)} (signal ${String(result.signal)})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return jsonDoc<StatusDoc>(result.stdout);
}

/** A promise settled after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that can end another connection, to kill the CLI's session from outside. */
export interface Killer {
  /** Ends the sessions of the CLI that run `marker` (a slow statement); how many it ended. */
  killSessionsRunning(marker: string): Promise<number>;
  close(): Promise<void>;
}

/** Opens a separate admin connection to the target's database (server engines only). */
export async function openKiller(target: Target): Promise<Killer> {
  if (target.engine === 'postgres') {
    const client = new pg.Client({ connectionString: target.url, application_name: 'engines-e2e-killer' });
    client.on('error', () => undefined);
    await client.connect();
    return {
      async killSessionsRunning(marker) {
        const { rows } = await client.query<{ killed: boolean }>(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
            WHERE application_name LIKE 'migrator%' AND pid <> pg_backend_pid() AND datname = current_database()
              AND state = 'active' AND position($1 in query) > 0`,
          [marker],
        );
        return rows.filter((row) => row.killed).length;
      },
      close: () => client.end().catch(() => undefined),
    };
  }
  if (target.engine === 'mysql') {
    const connection = await mysql.createConnection({ uri: target.url });
    connection.on('error', () => undefined);
    return {
      async killSessionsRunning(marker) {
        const [rows] = await connection.query(
          'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND LOCATE(?, INFO) = 1',
          [marker],
        );
        const ids = (rows as Array<{ id: number }>).map((row) => Number(row.id));
        for (const id of ids) await connection.query(`KILL ${id}`);
        return ids.length;
      },
      close: () => connection.end().catch(() => undefined),
    };
  }
  throw new Error('SQLite has no connection to kill from outside');
}
