// Shared pieces of the benchmarks (docs/performance.md): the engines and their raw clients, fresh
// scratch databases, timing a command with its peak RSS, medians. Plain ESM JavaScript, so that a
// fresh checkout runs it after `npm ci` without a build step of its own (bin/migrate needs `npm run build`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MIGRATE = path.join(ROOT, 'bin', 'migrate');

const PG_ADMIN = process.env.MIGRATOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_ADMIN = process.env.MIGRATOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Runs a command to its end; throws with its stderr when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Wall time (ms) and peak RSS (MiB, from GNU time; `undefined` without it) of one command.
 * `input` is piped to its stdin.
 */
export function measure(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const wrapped = TIME ? [TIME, ['-f', '%M', command, ...args]] : [command, args];
  const result = spawnSync(wrapped[0], wrapped[1], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const rssKb = TIME ? Number(result.stderr.trim().split('\n').at(-1)) : NaN;
  return { ms, rssMiB: Number.isFinite(rssKb) ? rssKb / 1024 : undefined, stdout: result.stdout };
}

/**
 * {@link measure}, plus the CPU time (ms, user + system, from GNU time; `undefined` without it):
 * on a busy machine, wall time also counts the waits for a core, CPU time does not.
 */
export function measureCpu(command, args, options = {}) {
  if (!TIME) return { ...measure(command, args, options), cpuMs: undefined };
  const started = process.hrtime.bigint();
  const result = spawnSync(TIME, ['-f', '%M %U %S', command, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const [rssKb, user, system] = (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  const cpuMs = Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined;
  return { ms, rssMiB: Number.isFinite(rssKb) ? rssKb / 1024 : undefined, cpuMs, stdout: result.stdout };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A scratch directory, removed by the returned function. */
export function scratchDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `migrator-bench-${label}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function pgUrl(database) {
  const url = new URL(PG_ADMIN);
  url.pathname = `/${database}`;
  return url.toString();
}

function mysqlArgs() {
  const url = new URL(MYSQL_ADMIN);
  return ['-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username || 'root'), ...(url.password ? [`-p${decodeURIComponent(url.password)}`] : [])];
}

/**
 * The engines: how to make and drop a fresh database, the `--url` for migrate, and the raw
 * client running a SQL file the way a person would (psql -f, mariadb < file, sqlite3 file < file).
 */
export const ENGINES = {
  postgres: {
    label: 'PostgreSQL',
    create(name) {
      run('psql', [PG_ADMIN, '-X', '-q', '-c', `CREATE DATABASE ${name}`]);
      return { url: pgUrl(name), drop: () => run('psql', [PG_ADMIN, '-X', '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
    },
    raw: (db, file) => ['psql', [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file]],
    begin: 'BEGIN;',
    commit: 'COMMIT;',
  },
  mysql: {
    label: 'MariaDB',
    create(name) {
      run('mariadb', [...mysqlArgs(), '-e', `CREATE DATABASE ${name}`]);
      const url = new URL(MYSQL_ADMIN);
      url.pathname = `/${name}`;
      return { url: url.toString(), name, drop: () => run('mariadb', [...mysqlArgs(), '-e', `DROP DATABASE IF EXISTS ${name}`]) };
    },
    raw: (db, file) => ['sh', ['-c', `mariadb ${mysqlArgs().join(' ')} ${db.name} < "${file}"`]],
    begin: 'START TRANSACTION;',
    commit: 'COMMIT;',
  },
  sqlite: {
    label: 'SQLite',
    create(name) {
      const { dir, remove } = scratchDir(name);
      const file = path.join(dir, 'bench.db');
      return { url: `sqlite:${file}`, file, drop: remove };
    },
    raw: (db, file) => ['sh', ['-c', `sqlite3 "${db.file}" < "${file}"`]],
    begin: 'BEGIN;',
    commit: 'COMMIT;',
  },
};

/** Which engines answer here: a missing server is skipped with a line saying so. */
export function availableEngines(wanted) {
  return wanted.filter((engine) => {
    try {
      if (engine === 'postgres') run('psql', [PG_ADMIN, '-X', '-q', '-c', 'SELECT 1']);
      if (engine === 'mysql') run('mariadb', [...mysqlArgs(), '-e', 'SELECT 1']);
      if (engine === 'sqlite') run('sqlite3', [':memory:', 'SELECT 1']);
      return true;
    } catch (error) {
      console.log(`skipping ${engine}: ${String(error.message).split('\n')[0]}`);
      return false;
    }
  });
}

let counter = 0;
/** A database name no other run uses. */
export function uniqueName(label) {
  counter += 1;
  return `bench_${label}_${process.pid}_${counter}`;
}

export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
