/**
 * Real-world migration files (test/fixtures/realworld/<engine>, Flyway layout: V files up, U files
 * down) through the CLI: `up`, `down --to 0`, `up` again. The schema left behind must equal the
 * schema the engine's own client builds from the same V files (psql -v ON_ERROR_STOP=1 -f /
 * mariadb < file) in a second fresh database, as dumped by pg_dump / mariadb-dump without the
 * migrator_* objects; and `down --to 0` must leave no application object at all. A statement split
 * in the wrong place, a body cut short or run in the wrong mode shows up as a failure or a diff.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { EXIT, Project, REPO_ROOT } from '../helpers.js';
import { createTarget, engineCases, type Engine, type Target } from './support.js';

const run = promisify(execFile);
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'realworld');
const VERSIONS = ['1', '2', '3', '4', '5'];

type ServerEngine = Exclude<Engine, 'sqlite'>;

/** The client programs each engine's reference needs, looked up on PATH. */
const TOOLS: Record<ServerEngine, string[]> = { postgres: ['psql', 'pg_dump'], mysql: ['mariadb', 'mariadb-dump'] };

function missingTools(engine: ServerEngine): string[] {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter);
  return TOOLS[engine].filter((tool) => !dirs.some((dir) => fs.existsSync(path.join(dir, tool))));
}

/** The up files of a fixture directory, in version order. */
function upFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => /^V\d+__.*\.sql$/.test(name)).sort((a, b) => Number(/^V(\d+)/.exec(a)?.[1]) - Number(/^V(\d+)/.exec(b)?.[1]));
}

interface MysqlLogin {
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly database: string;
}

function mysqlLogin(url: string): MysqlLogin {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  return {
    args: ['-h', parsed.hostname, '-P', parsed.port || '3306', '-u', decodeURIComponent(parsed.username)],
    // MYSQL_PWD keeps the password off the command line.
    env: password === '' ? process.env : { ...process.env, MYSQL_PWD: password },
    database: parsed.pathname.slice(1),
  };
}

/**
 * Files whose routine bodies are written without DELIMITER. The mariadb client splits at every ';'
 * and cannot run them; an application sends such a file whole (multi-statements) and the server
 * parses the compound statement. A delimiter that never occurs makes the client do the same.
 */
const SENT_WHOLE = new Set(['V4__archive_procedure.sql']);

function mariadbFile(login: MysqlLogin, file: string): Promise<void> {
  const args = [...(SENT_WHOLE.has(path.basename(file)) ? ['--delimiter=@@no-delimiter@@'] : []), ...login.args, login.database];
  return new Promise((resolve, reject) => {
    const child = spawn('mariadb', args, { env: login.env, stdio: [fs.openSync(file, 'r'), 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb < ${path.basename(file)} exited ${String(code)}: ${stderr}`))));
  });
}

/** Applies the V files in order with the engine's own client, stopping at the first error. */
async function applyWithClient(engine: ServerEngine, target: Target, dir: string): Promise<void> {
  for (const name of upFiles(dir)) {
    const file = path.join(dir, name);
    if (engine === 'postgres') await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target.url, '-f', file]);
    else await mariadbFile(mysqlLogin(target.url), file);
  }
}

/**
 * pg_dump's schema as comparable text: its entries (`-- Name: ...` blocks) minus the migrator_*
 * ones (tables, their sequence and triggers, the append-only function), without the preamble and
 * the per-run `\restrict` key.
 */
function pgSchema(dump: string): string {
  const body = dump.split('\n').filter((line) => !/^\\(?:un)?restrict /.test(line)).join('\n');
  const [, ...entries] = body.split(/\n--\n-- (?=Name: )/);
  return entries
    .filter((entry) => !(entry.split('\n')[0] ?? '').includes('migrator_'))
    .map((entry) => entry.trim())
    .join('\n\n');
}

/**
 * mariadb-dump's schema as comparable text: without AUTO_INCREMENT counters, DEFINER clauses, the
 * database name, and the connection character set each object was created over (a property of the
 * client: mysql2 speaks utf8mb4_unicode_ci, the mariadb client its locale's). sql_mode is kept: it
 * is part of a routine's definition and changes how its body runs.
 */
function mysqlSchema(dump: string, database: string): string {
  return dump
    .replace(/ AUTO_INCREMENT=\d+/g, '')
    .replace(/DEFINER=`[^`]*`@`[^`]*` ?/g, '')
    .split(database).join('<db>')
    .split('\n')
    .filter((line) => !/\bSET (?:character_set_client|character_set_results|collation_connection)\s*=/.test(line))
    .join('\n')
    .trim();
}

async function dumpSchema(engine: ServerEngine, target: Target): Promise<string> {
  if (engine === 'postgres') {
    const { stdout } = await run('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--exclude-table=migrator_*', `--dbname=${target.url}`], { maxBuffer: 16 * 1024 * 1024 });
    return pgSchema(stdout);
  }
  const login = mysqlLogin(target.url);
  const ignored = ['migrator_meta', 'migrator_history', 'migrator_audit', 'migrator_lock', 'migrator_progress'].map((table) => `--ignore-table=${login.database}.${table}`);
  const { stdout } = await run('mariadb-dump', [...login.args, '--no-data', '--skip-comments', '--routines', '--triggers', ...ignored, login.database], { env: login.env, maxBuffer: 16 * 1024 * 1024 });
  return mysqlSchema(stdout, login.database);
}

/** The application objects a dump still creates (empty once everything is reverted). */
function createdObjects(engine: ServerEngine, schema: string): string[] {
  if (engine === 'postgres') return schema === '' ? [] : schema.split('\n').filter((line) => line.startsWith('Name: '));
  return schema.split('\n').filter((line) => /\bCREATE\b/i.test(line));
}

const cases = await engineCases(['postgres', 'mysql']);

describe.concurrent('real-world migration files', () => {
  for (const engineCase of cases) {
    const engine = engineCase.engine as ServerEngine;
    const missing = missingTools(engine);
    // Under CI every engine must run: a missing client fails there instead of skipping.
    if (engineCase.skip === undefined && missing.length > 0 && process.env['CI'] !== 'true') console.warn(`${engine} real-world test skipped: ${missing.join(', ')} not on PATH`);
    const skip = engineCase.skip !== undefined || (missing.length > 0 && process.env['CI'] !== 'true');

    it.skipIf(skip)(`${engine}: up, down --to 0, up again gives the schema ${TOOLS[engine][0]} builds from the same files`, async ({ expect, onTestFinished }) => {
      const dir = path.join(FIXTURES, engine);
      const project = new Project({ onTestFinished }, { withMigrationsDir: false });
      const target = await createTarget(engineCase, project, `realworld ${engine}`, { onTestFinished });
      const reference = await createTarget(engineCase, project, `realworld ref ${engine}`, { onTestFinished });
      const cli = (...args: string[]) => project.run([...args, '--url', target.url, '--dir', dir]);
      const states = async () => (await target.history()).map((row) => `${row.version} ${row.state}`).sort();

      await applyWithClient(engine, reference, dir);
      const expected = await dumpSchema(engine, reference);
      expect(createdObjects(engine, expected).length, 'the reference schema is empty: the dump or its filter is broken').toBeGreaterThanOrEqual(8);

      const first = await cli('up');
      expect(first.code, first.stderr).toBe(EXIT.ok);
      expect(await states()).toEqual(VERSIONS.map((v) => `${v} applied`));
      expect(await dumpSchema(engine, target), 'after the first up').toBe(expected);

      const down = await cli('down', '--to', '0');
      expect(down.code, down.stderr).toBe(EXIT.ok);
      expect(await states()).toEqual(VERSIONS.map((v) => `${v} rolled_back`));
      expect(createdObjects(engine, await dumpSchema(engine, target)), 'application objects left after down --to 0').toEqual([]);

      const again = await cli('up');
      expect(again.code, again.stderr).toBe(EXIT.ok);
      expect(await states()).toEqual(VERSIONS.map((v) => `${v} applied`));
      expect(await dumpSchema(engine, target), 'after down --to 0 and up again').toBe(expected);
    }, 60_000);
  }
});
