/**
 * End-to-end helpers: a throwaway project directory per test, the built `bin/migrate` spawned like a
 * user would run it, and read-only views of the SQLite database it leaves behind. Nothing here
 * imports src/: the CLI is a black box seen through its exit code, stdout, stderr and the database.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

/** The repository root, found from this file (test/e2e/helpers.ts), not from the cwd. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The user-facing entry point: `bin/migrate`, which loads the built bundle `dist/migrate.mjs`. */
export const BIN = path.join(REPO_ROOT, 'bin', 'migrate');
/** The example migrations shipped with the repository. */
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'migrations');

/** Exit codes of the public contract (DESIGN.md section 6). */
export const EXIT = {
  ok: 0,
  migrationFailed: 1,
  usage: 2,
  config: 3,
  connect: 4,
  invalidFiles: 5,
  stateDisagrees: 6,
  lockTimeout: 7,
  pending: 8,
  notPermitted: 9,
  internal: 70,
  interrupted: 130,
  terminated: 143,
} as const;

export interface CliResult {
  /** Exit code; null when the process was killed by a signal it did not handle. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** Extra variables on top of the cleaned environment; `undefined` removes one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** SIGKILL the process after this long (a hung CLI must fail the test, not the whole run). */
  readonly timeoutMs?: number;
  /** Called with everything read from stderr so far, each time more arrives. */
  readonly onStderr?: (stderrSoFar: string, child: ChildProcessWithoutNullStreams) => void;
}

export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly result: Promise<CliResult>;
}

const DROPPED_ENV = new Set([
  'DATABASE_URL', 'CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'BUILD_ID', 'RUN_ID',
  'FORCE_COLOR', 'NO_COLOR', 'NODE_OPTIONS', 'NODE_ENV', 'TF_BUILD', 'JENKINS_URL', 'TEAMCITY_VERSION',
  'TRACEPARENT', 'TRACESTATE',
]);
// OTEL_: a collector configured on the machine must not receive (or slow down) every test's run.
const DROPPED_PREFIXES = ['MIGRATOR_', 'GITHUB_', 'GITLAB_', 'CI_', 'BUILD_', 'SYSTEM_', 'BITBUCKET_', 'RUNNER_', 'CIRCLE', 'TRAVIS', 'BUILDKITE', 'DRONE', 'VITEST', 'PG', 'MYSQL', 'OTEL_'];

/**
 * The environment a user's shell would give the CLI: ours, minus anything that would change what
 * it does behind the test's back (a DATABASE_URL, MIGRATOR_* settings, CI detection, colours,
 * NODE_OPTIONS), plus the test's own variables.
 */
export function cleanEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || DROPPED_ENV.has(key) || DROPPED_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    env[key] = value;
  }
  env['TZ'] = 'UTC';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts `migrate <args>` without waiting for it (races, signals). */
export function startCli(args: ReadonlyArray<string>, options: RunOptions): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: 'pipe' });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(stderr, child);
  });
  const timeoutMs = options.timeoutMs ?? 25_000;
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`migrate ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result };
}

/** Runs `migrate <args>` to completion. */
export function runCli(args: ReadonlyArray<string>, options: RunOptions): Promise<CliResult> {
  return startCli(args, options).result;
}

/** What a test needs to register the removal of its directory (the test context provides it). */
export interface Cleanup {
  onTestFinished(fn: () => void): void;
}

/** A fresh project directory: `migrations/` inside it, the default `migrator.db` next to it. */
export class Project {
  readonly dir: string;
  readonly migrationsDir: string;
  /** The default database of the CLI: sqlite:./migrator.db in the cwd. */
  readonly dbPath: string;

  constructor(cleanup: Cleanup, options: { withMigrationsDir?: boolean } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-e2e-'));
    this.migrationsDir = path.join(this.dir, 'migrations');
    this.dbPath = path.join(this.dir, 'migrator.db');
    if (options.withMigrationsDir !== false) fs.mkdirSync(this.migrationsDir);
    cleanup.onTestFinished(() => fs.rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Writes `migrations/<name>` and returns its absolute path. */
  write(name: string, content: string): string {
    const file = path.join(this.migrationsDir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  read(name: string): string {
    return fs.readFileSync(path.join(this.migrationsDir, name), 'utf8');
  }

  remove(name: string): void {
    fs.rmSync(path.join(this.migrationsDir, name));
  }

  /** Copies the repository's example migrations into `migrations/`; returns their file names. */
  copyExamples(): string[] {
    fs.cpSync(EXAMPLES_DIR, this.migrationsDir, { recursive: true });
    return fs.readdirSync(this.migrationsDir).sort();
  }

  /** File names in `migrations/` (or another directory of the project). */
  migrationFiles(sub = 'migrations'): string[] {
    const dir = path.join(this.dir, sub);
    // migrator.sum is bookkeeping that `create` keeps, not a migration.
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== 'migrator.sum' && !f.startsWith('.')).sort() : [];
  }

  /** Everything in the project directory, recursively, with each file's size (before/after checks). */
  listing(): string[] {
    return (fs.readdirSync(this.dir, { recursive: true }) as string[])
      .map((entry) => {
        const stat = fs.statSync(path.join(this.dir, entry));
        return stat.isDirectory() ? `${entry}/` : `${entry} (${stat.size} bytes)`;
      })
      .sort();
  }

  dbExists(): boolean {
    return fs.existsSync(this.dbPath);
  }

  run(args: ReadonlyArray<string>, options: Omit<RunOptions, 'cwd'> = {}): Promise<CliResult> {
    return runCli(args, { ...options, cwd: this.dir });
  }

  start(args: ReadonlyArray<string>, options: Omit<RunOptions, 'cwd'> = {}): RunningCli {
    return startCli(args, { ...options, cwd: this.dir });
  }

  /** Opens the project's database read-only for the callback, and always closes it. */
  withDb<T>(fn: (db: Database.Database) => T, dbPath = this.dbPath): T {
    return withDb(dbPath, fn);
  }

  /** Replaces the project's directory (and its real path) with `<dir>`, then normalises the rest. */
  normalise(text: string): string {
    let out = text;
    for (const dir of new Set([fs.realpathSync(this.dir), this.dir])) out = out.split(dir).join('<dir>');
    return normalise(out);
  }
}

/** Opens a SQLite file read-only (it must exist) for the callback, and always closes it. */
export function withDb<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface SchemaObject {
  readonly type: string;
  readonly name: string;
}

/** Tables, views, indexes and triggers of the application (metadata and sqlite internals excluded). */
export function appSchema(db: Database.Database): string[] {
  return (db.prepare(`SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'migrator\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name`).all() as SchemaObject[])
    .map((row) => `${row.type} ${row.name}`);
}

/** Names of the metadata tables (`migrator_%`) present. */
export function metadataTables(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'migrator\\_%' ESCAPE '\\' ORDER BY name`).all() as SchemaObject[])
    .map((row) => row.name);
}

export function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

export interface HistoryRow {
  readonly version: string;
  readonly state: string;
  readonly checksum: string;
  readonly batch: number;
}

/** `migrator_history`, or [] when the metadata tables were never created. */
export function history(db: Database.Database): HistoryRow[] {
  if (!tableExists(db, 'migrator_history')) return [];
  return db.prepare('SELECT version, state, checksum, batch FROM migrator_history ORDER BY seq').all() as HistoryRow[];
}

export interface AuditRow {
  readonly id: number;
  readonly event: string;
  readonly version: string | null;
  readonly outcome: string;
}

/** `migrator_audit`, or [] when the metadata tables were never created. */
export function audit(db: Database.Database): AuditRow[] {
  if (!tableExists(db, 'migrator_audit')) return [];
  return db.prepare('SELECT id, event, version, outcome FROM migrator_audit ORDER BY id').all() as AuditRow[];
}

/** Versions with an `applied` history row, in applied order. */
export function appliedVersions(db: Database.Database): string[] {
  return history(db).filter((row) => row.state === 'applied').map((row) => row.version);
}

/** Everything a failed or refused command must leave untouched: schema, history, audit trail. */
export function dbState(dbPath: string): { schema: string[]; history: HistoryRow[]; audit: AuditRow[] } {
  return withDb(dbPath, (db) => ({ schema: appSchema(db), history: history(db), audit: audit(db) }));
}

/** The checksum migrator records: `sha256v1:` + sha256 of the UTF-8 text (BOM stripped, CRLF -> LF). */
export function checksumOf(text: string): string {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  return `sha256v1:${createHash('sha256').update(normalised, 'utf8').digest('hex')}`;
}

/** Durations, timestamps, run ids and temp paths replaced by placeholders (before any snapshot). */
export function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
    .replace(/\b\d+(?:\.\d+)? ?(?:ms|s)\b/g, '<duration>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\bV\d{14}__/g, 'V<timestamp>__')
    .split(os.tmpdir()).join('<tmp>');
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** The pino JSON lines of stderr (anything else, such as error blocks, is skipped). */
export function logLines(stderr: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // not a log line
    }
  }
  return lines;
}

/**
 * Lines of stderr that are neither pino JSON log lines nor part of an `error[E_CODE]` / `  at:` /
 * `  hint:` block: stack frames, stray console output. [] for a well-behaved run without --verbose.
 */
export function unexpectedStderr(stderr: string): string[] {
  return stderr.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    if (/^(?:error|problem)\[E_[A-Z_]+\]: /.test(line) || /^ {2}(?:at|hint): /.test(line)) return false;
    if (line.startsWith('{')) {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    }
    return true;
  });
}

/** A stack frame line as Node prints it ("    at fn (file:line:col)"). */
export const STACK_FRAME = /^\s{4}at \S.*:\d+:\d+\)?$/m;

/** One statement that keeps SQLite busy for a while (a recursive count), to make runs overlap. */
export function slowStatement(rows: number): string {
  return `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT count(*) FROM c;`;
}

/** Parses stdout that must be exactly one JSON document. */
export function jsonDoc<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}
