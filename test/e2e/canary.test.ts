/**
 * The secret canary (DESIGN.md section 7: "every URL and password is redacted wherever it could be
 * printed"). A password made of URL-reserved and quoting characters, `Cn4ry-<hex>-p@ss:/#?%'"`, is
 * supplied through every channel (`--url`, DATABASE_URL, MIGRATOR_URL, MIGRATOR_PASSWORD, `password:`
 * as a value, `${env:NAME}` from the environment or `.env`, `{file}`, `{command}`, a malformed URL
 * holding it raw) in successes and failures (wrong host, wrong password, malformed URL, SQL error,
 * lock timeout, config errors, usage errors), with and without `--verbose` and `--json`. After every
 * run, no form of it (literal, URL-encoded in either case, JSON-escaped, its random part
 * `Cn4ry-<hex>` alone, or the tail a URL parser cuts off) may appear on stdout, on stderr, in a JSON
 * document, or in any row of any migrator_* table of the scenario's fresh database.
 *
 * Server logins whose password IS the canary are created for the file (see canary-support.ts), so a
 * successful run really hands the canary to the server whatever its auth method. Wrong passwords are
 * the server's own user with the canary as password. Each scenario has its own project directory
 * and, on a server engine, its own database; scenarios run side by side.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { createDatabase, findServer, type Server, type TestDatabase } from '../support/databases.js';
import { EXIT, Project, logLines, type CliResult, type RunningCli } from './helpers.js';
import {
  createCanary,
  createCanaryAccount,
  dumpMetadata,
  dumpSqliteMetadata,
  findLeaks,
  findLeaksInDump,
  findLeaksInJson,
  withCredentials,
  type CanaryAccount,
} from './canary-support.js';

type ServerEngine = Server['engine'];
/** What a scenario needs: a fresh server database, the project's SQLite file, or nothing. */
type Engine = ServerEngine | 'sqlite' | 'none';
/** What the runs of a scenario leave in its database: history and audit rows, audit rows only, or nothing. */
type Rows = 'history' | 'audit' | 'none';

const canary = createCanary();

interface ServerSetup {
  readonly server: Server | undefined;
  readonly skip: string | undefined;
  readonly account: CanaryAccount | undefined;
}

async function serverSetup(engine: ServerEngine): Promise<ServerSetup> {
  // Under CI=true findServer throws when the server is missing: CI must prove every engine.
  const { server, skip } = await findServer(engine);
  if (skip !== undefined) {
    console.warn(skip);
    return { server, skip, account: undefined };
  }
  return { server, skip, account: await createCanaryAccount(server, canary) };
}

const servers: Record<ServerEngine, ServerSetup> = { postgres: await serverSetup('postgres'), mysql: await serverSetup('mysql') };

afterAll(async () => {
  // The scenarios' databases are dropped when each test finishes; the logins go last.
  for (const setup of Object.values(servers)) await setup.account?.drop();
});

/** The migrations the scenarios use. */
const REVERSIBLE = '-- migrate:up\nCREATE TABLE canary_t (id int);\n-- migrate:down\nDROP TABLE canary_t;\n';
const SQLITE_TABLE = 'CREATE TABLE canary_t (id integer);\n';
const BROKEN_JOURNALED = '-- migrate:transaction off\nCREATE TABLE canary_a (id int);\nSELECT * FROM canary_missing;\n';
const BROKEN_MYSQL = 'CREATE TABLE canary_a (id int);\nSELECT * FROM canary_missing;\n';
const BROKEN_TRANSACTIONAL = 'CREATE TABLE canary_a (id int);\nSELECT * FROM canary_missing;\n';
/** A server error that quotes the canary itself (dollar quoting: the canary holds ' and " but no $). */
const QUOTES_CANARY = `-- migrate:transaction off\nCREATE TABLE canary_a (id int);\nSELECT $c$${canary.value}$c$::int;\n`;
// Long enough for two more CLI processes to start and give up after 1 s, even on a loaded CI runner.
const HOLD_SECONDS = 8;

/** The process-list warning `--url` with a password gets. */
const PROCESS_LIST_WARNING = /the --url holds a password, which other users of this machine can see in the process list/;

interface StepOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** The exit code (or the codes, for a documented either-or) the step must end with. */
  readonly exit: number | ReadonlyArray<number>;
  /** true: stderr must carry the process-list warning; false: it must not; undefined: not checked. */
  readonly warns?: boolean;
}

interface UrlOptions {
  /** The canary URL-encoded, the canary raw (a malformed URL), or no password. */
  readonly password: 'encoded' | 'raw' | 'none';
  /** The login whose password is the canary, or the server's own user (the canary is then wrong). */
  readonly user?: 'canary' | 'admin';
  readonly host?: string;
  readonly query?: string;
}

/** One scenario's project, database, and the leaks found so far. */
class Scenario {
  readonly leaks: string[] = [];

  constructor(
    readonly expect: ExpectStatic,
    readonly project: Project,
    readonly db: { readonly engine: ServerEngine; readonly database: TestDatabase; readonly account: CanaryAccount } | undefined,
  ) {}

  /**
   * A URL of `engine` for the scenario's database (or a placeholder database when the scenario has
   * none: wrong hosts and malformed URLs never reach it).
   */
  url(engine: ServerEngine, options: UrlOptions): string {
    const base = this.db?.engine === engine ? this.db.database.url : engine === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/canary_absent' : 'mysql://root@127.0.0.1:3306/canary_absent';
    const admin = decodeURIComponent(new URL(base).username) || (engine === 'postgres' ? 'postgres' : 'root');
    const user = options.user === 'admin' ? admin : (this.db?.account.user ?? admin);
    const password = options.password === 'encoded' ? canary.encoded : options.password === 'raw' ? canary.value : undefined;
    return withCredentials(base, user, password, { ...(options.host === undefined ? {} : { host: options.host }), ...(options.query === undefined ? {} : { query: options.query }) });
  }

  /** Writes a file of the project (not under migrations/). */
  file(name: string, content: string): void {
    fs.writeFileSync(path.join(this.project.dir, name), content);
  }

  /** migrator.config.yaml from `key: value` lines. */
  config(...lines: string[]): void {
    this.file('migrator.config.yaml', `${lines.join('\n')}\n`);
  }

  /** secret.txt holding the canary (with a trailing newline, as editors save it). */
  secretFile(): void {
    this.file('secret.txt', `${canary.value}\n`);
  }

  /** A `.env` file; each value is checked to read back exactly as given. */
  dotenv(variables: Readonly<Record<string, string>>): void {
    const text = Object.entries(variables).map(([name, value]) => `${name}=\`${value}\``).join('\n');
    this.file('.env', `${text}\n`);
    this.expect(parseDotenv(text)).toEqual(variables);
  }

  async cli(args: ReadonlyArray<string>, options: StepOptions): Promise<CliResult> {
    const result = await this.project.run(args, { env: options.env ?? {} });
    this.inspect(args, result, options);
    return result;
  }

  start(args: ReadonlyArray<string>, env: Readonly<Record<string, string>>, onStderr?: (stderr: string) => void): RunningCli {
    return this.project.start(args, { env, timeoutMs: 30_000, ...(onStderr === undefined ? {} : { onStderr }) });
  }

  /** Checks one run: its exit code, its warning, and every form of the canary in all it printed. */
  inspect(args: ReadonlyArray<string>, result: CliResult, options: StepOptions): void {
    const label = `migrate ${args.map(hideCanary).join(' ')}${options.env ? ` (env ${Object.keys(options.env).join(', ')})` : ''}`;
    const allowed = typeof options.exit === 'number' ? [options.exit] : options.exit;
    this.expect.soft(allowed, `${label}: exit ${String(result.code)}\n${hideCanary(result.stderr)}`).toContain(result.code);
    if (options.warns !== undefined) this.expect.soft(PROCESS_LIST_WARNING.test(result.stderr), `${label}: the process-list warning`).toBe(options.warns);
    this.leaks.push(...findLeaks(canary, `${label} stdout`, result.stdout), ...findLeaks(canary, `${label} stderr`, result.stderr));
    for (const line of logLines(result.stderr)) this.leaks.push(...findLeaksInJson(canary, `${label} stderr log line`, line));
    if (args.includes('--json')) {
      let document: unknown;
      this.expect.soft(() => { document = JSON.parse(result.stdout); }, `${label}: stdout must be one JSON document:\n${hideCanary(result.stdout)}`).not.toThrow();
      this.leaks.push(...findLeaksInJson(canary, `${label} JSON document`, document));
    }
  }

  /** Every migrator_* row of the scenario's database must be free of the canary, and be there when expected. */
  async checkDatabase(engine: Engine, rows: Rows): Promise<void> {
    if (engine === 'none') return;
    const dump = engine === 'sqlite' ? dumpSqliteMetadata(this.project.dbPath) : this.db ? await dumpMetadata(this.db.engine, this.db.database.url) : {};
    this.leaks.push(...findLeaksInDump(canary, dump));
    const count = (table: string): number => dump[table]?.length ?? 0;
    if (rows === 'history') this.expect.soft(count('migrator_history'), 'history rows').toBeGreaterThan(0);
    if (rows !== 'none') this.expect.soft(count('migrator_audit'), 'audit rows').toBeGreaterThan(0);
    if (rows === 'none') this.expect.soft(Object.values(dump).flat(), 'metadata rows').toEqual([]);
  }
}

/** The canary's forms replaced by placeholders, for test names and failure messages. */
function hideCanary(text: string): string {
  return text.split(canary.value).join('<canary>').split(canary.encoded).join('<canary:encoded>');
}

interface ScenarioSpec {
  readonly name: string;
  readonly engine: Engine;
  readonly rows: Rows;
  run(s: Scenario): Promise<void>;
}

const yamlText = (text: string): string => JSON.stringify(text);

const scenarios: ScenarioSpec[] = [
  // ---- successes on PostgreSQL: the canary is the password the server gets ----
  {
    name: '--url (encoded userinfo): up, status, status --json, down; the process-list warning has no canary',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'encoded' });
      await s.cli(['up', '--url', url], { exit: EXIT.ok, warns: true });
      await s.cli(['status', '--url', url], { exit: EXIT.ok, warns: true });
      await s.cli(['status', '--json', '--url', url], { exit: EXIT.ok, warns: true });
      await s.cli(['down', '--url', url], { exit: EXIT.ok, warns: true });
    },
  },
  {
    name: '--url=<url> (encoded): up --json --verbose, validate --json, status --log-level trace',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'encoded' });
      await s.cli(['up', '--json', '--verbose', `--url=${url}`], { exit: EXIT.ok, warns: true });
      await s.cli(['validate', '--json', `--url=${url}`], { exit: EXIT.ok, warns: true });
      await s.cli(['status', '--log-level', 'trace', `--url=${url}`], { exit: EXIT.ok, warns: true });
    },
  },
  {
    name: '--dotenv secrets.env holding DATABASE_URL (encoded) and MIGRATOR_PASSWORD: up --log-level trace, status --json, config',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secrets.env', `DATABASE_URL=\`${s.url('postgres', { password: 'encoded' })}\`\nMIGRATOR_PASSWORD=\`${canary.value}\`\n`);
      await s.cli(['up', '--log-level', 'trace', '--dotenv', 'secrets.env'], { exit: EXIT.ok });
      await s.cli(['status', '--json', '--dotenv', 'secrets.env'], { exit: EXIT.ok });
      await s.cli(['config', '--dotenv', 'secrets.env'], { exit: EXIT.ok });
    },
  },
  {
    name: 'DATABASE_URL (encoded): up --verbose --json, status --json, down --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { DATABASE_URL: s.url('postgres', { password: 'encoded' }) };
      await s.cli(['up', '--verbose', '--json'], { env, exit: EXIT.ok, warns: false });
      await s.cli(['status', '--json'], { env, exit: EXIT.ok });
      await s.cli(['down', '--json'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'MIGRATOR_URL (encoded): up, validate --json, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { MIGRATOR_URL: s.url('postgres', { password: 'encoded' }) };
      await s.cli(['up'], { env, exit: EXIT.ok });
      await s.cli(['validate', '--json'], { env, exit: EXIT.ok });
      await s.cli(['config', '--json'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'MIGRATOR_PASSWORD (raw) with a --url without password: up --verbose, status --json, down --verbose, config',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'none' });
      const env = { MIGRATOR_PASSWORD: canary.value };
      await s.cli(['up', '--verbose', '--url', url], { env, exit: EXIT.ok, warns: false });
      await s.cli(['status', '--json', '--url', url], { env, exit: EXIT.ok });
      await s.cli(['down', '--verbose', '--url', url], { env, exit: EXIT.ok });
      await s.cli(['config', '--url', url], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'password: <value> in migrator.config.yaml: up --json, config, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, `password: ${yamlText(canary.value)}`);
      await s.cli(['up', '--json'], { exit: EXIT.ok });
      await s.cli(['config'], { exit: EXIT.ok });
      await s.cli(['config', '--json'], { exit: EXIT.ok });
    },
  },
  {
    name: 'password: ${env:DB_PW} with DB_PW in the environment: up --verbose, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, 'password: "${env:DB_PW}"');
      const env = { DB_PW: canary.value };
      await s.cli(['up', '--verbose'], { env, exit: EXIT.ok });
      await s.cli(['config', '--json'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'password: ${env:DB_PW} with DB_PW in .env: up --json, status --verbose, config',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, 'password: "${env:DB_PW}"');
      s.dotenv({ DB_PW: canary.value });
      await s.cli(['up', '--json'], { exit: EXIT.ok });
      await s.cli(['status', '--verbose'], { exit: EXIT.ok });
      await s.cli(['config'], { exit: EXIT.ok });
    },
  },
  {
    name: 'password: {file: secret.txt}: up --verbose --json, status, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.secretFile();
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, 'password:', '  file: secret.txt');
      await s.cli(['up', '--verbose', '--json'], { exit: EXIT.ok });
      await s.cli(['status'], { exit: EXIT.ok });
      await s.cli(['config', '--json'], { exit: EXIT.ok });
    },
  },
  {
    name: 'password: {command: cat secret.txt}: up, down --verbose --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secret.txt', canary.value);
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, 'password:', '  command: cat secret.txt');
      await s.cli(['up'], { exit: EXIT.ok });
      await s.cli(['down', '--verbose', '--json'], { exit: EXIT.ok });
    },
  },
  {
    name: 'password: {command} printing it with a trailing newline: up --verbose, status --json, config',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secret.txt', canary.value);
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none' }))}`, 'password:', `  command: ${yamlText(`printf '%s\\n' "$(cat secret.txt)"`)}`);
      await s.cli(['up', '--verbose'], { exit: EXIT.ok });
      await s.cli(['status', '--json'], { exit: EXIT.ok });
      await s.cli(['config'], { exit: EXIT.ok });
    },
  },
  {
    name: 'url: with ${env:DB_PW} (encoded, from .env) in its userinfo: up --json, config, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'none' }).replace('@', ':${env:DB_PW}@');
      s.config(`url: ${yamlText(url)}`);
      s.dotenv({ DB_PW: canary.encoded });
      await s.cli(['up', '--json'], { exit: EXIT.ok });
      await s.cli(['config'], { exit: EXIT.ok });
      await s.cli(['config', '--json'], { exit: EXIT.ok });
    },
  },
  {
    name: '--url with ?password=<encoded>: up --verbose, status --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'none', query: `?password=${canary.encoded}` });
      await s.cli(['up', '--verbose', '--url', url], { exit: EXIT.ok });
      await s.cli(['status', '--json', '--url', url], { exit: EXIT.ok });
    },
  },
  {
    name: 'environments.prod selected by MIGRATOR_ENV (password {file}), another block holding the canary as a value: up, config --json',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.secretFile();
      s.config(
        'environments:',
        '  prod:',
        `    url: ${yamlText(s.url('postgres', { password: 'none' }))}`,
        '    password:',
        '      file: secret.txt',
        '  staging:',
        '    url: "postgres://app@127.0.0.1:1/staging"',
        `    password: ${yamlText(canary.value)}`,
      );
      const env = { MIGRATOR_ENV: 'prod' };
      await s.cli(['up'], { env, exit: EXIT.ok });
      await s.cli(['config', '--json'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'up --dry-run and up --dry-run --json (DATABASE_URL): the plan, nothing written',
    engine: 'postgres',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { DATABASE_URL: s.url('postgres', { password: 'encoded' }) };
      await s.cli(['up', '--dry-run'], { env, exit: EXIT.ok });
      await s.cli(['up', '--dry-run', '--json', '--verbose'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'validate --json --dry-run and validate --verbose (MIGRATOR_PASSWORD)',
    engine: 'postgres',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'none' });
      const env = { MIGRATOR_PASSWORD: canary.value };
      await s.cli(['validate', '--json', '--dry-run', '--url', url], { env, exit: EXIT.ok });
      await s.cli(['validate', '--verbose', '--url', url], { env, exit: EXIT.ok });
    },
  },

  // ---- SQL errors and the lock: the failure is recorded in history and audit ----
  {
    name: 'SQL error in a journaled (transaction off) migration, DATABASE_URL: up --verbose --json, status --json; history and audit rows',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__broken.sql', BROKEN_JOURNALED);
      const env = { DATABASE_URL: s.url('postgres', { password: 'encoded' }) };
      await s.cli(['up', '--verbose', '--json'], { env, exit: EXIT.migrationFailed });
      await s.cli(['status', '--json'], { env, exit: EXIT.ok });
      await s.cli(['up', '--verbose'], { env, exit: EXIT.stateDisagrees });
    },
  },
  {
    name: 'SQL error in a transactional migration, --url: up --json, up --verbose',
    engine: 'postgres',
    rows: 'audit',
    async run(s) {
      s.project.write('V1__broken.sql', BROKEN_TRANSACTIONAL);
      const url = s.url('postgres', { password: 'encoded' });
      await s.cli(['up', '--json', '--url', url], { exit: EXIT.migrationFailed, warns: true });
      await s.cli(['up', '--verbose', '--url', url], { exit: EXIT.migrationFailed, warns: true });
    },
  },
  {
    name: 'a server error quoting the canary itself (journaled), MIGRATOR_PASSWORD: up --verbose --json, status --verbose; history error and audit detail',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__quotes.sql', QUOTES_CANARY);
      const url = s.url('postgres', { password: 'none' });
      const env = { MIGRATOR_PASSWORD: canary.value };
      await s.cli(['up', '--verbose', '--json', '--url', url], { env, exit: EXIT.migrationFailed });
      await s.cli(['status', '--verbose', '--url', url], { env, exit: EXIT.ok });
      await s.cli(['up', '--dry-run', '--json', '--url', url], { env, exit: EXIT.stateDisagrees });
    },
  },
  {
    name: 'lock timeout: a second run (--lock-timeout 1s, --verbose / --json) while one holds the lock exits 7',
    engine: 'postgres',
    rows: 'history',
    async run(s) {
      s.project.write('V1__hold.sql', `SELECT pg_sleep(${HOLD_SECONDS});\n`);
      const holderEnv = { DATABASE_URL: s.url('postgres', { password: 'encoded' }) };
      let holding!: () => void;
      const started = new Promise<void>((resolve) => { holding = resolve; });
      const holderArgs = ['up', '--verbose'];
      const holder = s.start(holderArgs, holderEnv, (stderr) => {
        if (logLines(stderr).some((line) => line.msg === 'run started')) holding();
      });
      await Promise.race([started, holder.result.then((result) => { throw new Error(`the holder ended before it held the lock:\n${hideCanary(result.stderr)}`); })]);
      const url = s.url('postgres', { password: 'none' });
      const waiterEnv = { MIGRATOR_PASSWORD: canary.value };
      await Promise.all([
        s.cli(['up', '--lock-timeout', '1s', '--verbose', '--url', url], { env: waiterEnv, exit: EXIT.lockTimeout }),
        s.cli(['up', '--lock-timeout', '1s', '--json'], { env: holderEnv, exit: EXIT.lockTimeout }),
      ]);
      s.inspect(holderArgs, await holder.result, { env: holderEnv, exit: EXIT.ok });
    },
  },

  // ---- MySQL/MariaDB: a login whose password is the canary ----
  {
    name: 'MySQL, password: {command}: up, status --json, down --verbose',
    engine: 'mysql',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secret.txt', canary.value);
      s.config(`url: ${yamlText(s.url('mysql', { password: 'none' }))}`, 'password:', '  command: cat secret.txt');
      await s.cli(['up'], { exit: EXIT.ok });
      await s.cli(['status', '--json'], { exit: EXIT.ok });
      await s.cli(['down', '--verbose'], { exit: EXIT.ok });
    },
  },
  {
    name: 'MySQL, SQL error (journaled DDL), --url: up --verbose --json, status --json; history and audit rows',
    engine: 'mysql',
    rows: 'history',
    async run(s) {
      s.project.write('V1__broken.sql', BROKEN_MYSQL);
      const url = s.url('mysql', { password: 'encoded' });
      await s.cli(['up', '--verbose', '--json', '--url', url], { exit: EXIT.migrationFailed, warns: true });
      await s.cli(['status', '--json', '--url', url], { exit: EXIT.ok, warns: true });
    },
  },

  // ---- wrong password (MySQL/MariaDB: the server's user with the canary as password) ----
  {
    name: 'wrong password, --url (encoded): up --verbose --json, status',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('mysql', { user: 'admin', password: 'encoded' });
      await s.cli(['up', '--verbose', '--json', '--url', url], { exit: EXIT.connect, warns: true });
      await s.cli(['status', '--url', url], { exit: EXIT.connect, warns: true });
    },
  },
  {
    name: 'wrong password, DATABASE_URL (encoded): status --json, validate --verbose',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { DATABASE_URL: s.url('mysql', { user: 'admin', password: 'encoded' }) };
      await s.cli(['status', '--json'], { env, exit: EXIT.connect });
      await s.cli(['validate', '--verbose'], { env, exit: EXIT.connect });
    },
  },
  {
    name: 'wrong password, MIGRATOR_URL (encoded): up --dry-run --verbose, down --json',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { MIGRATOR_URL: s.url('mysql', { user: 'admin', password: 'encoded' }) };
      await s.cli(['up', '--dry-run', '--verbose'], { env, exit: EXIT.connect });
      await s.cli(['down', '--json'], { env, exit: EXIT.connect });
    },
  },
  {
    name: 'wrong password, MIGRATOR_PASSWORD (raw): up --verbose --json, status --verbose',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('mysql', { user: 'admin', password: 'none' });
      const env = { MIGRATOR_PASSWORD: canary.value };
      await s.cli(['up', '--verbose', '--json', '--url', url], { env, exit: EXIT.connect, warns: false });
      await s.cli(['status', '--verbose', '--url', url], { env, exit: EXIT.connect });
    },
  },
  {
    name: 'wrong password, password: ${env:DB_PW}: up --verbose --json, config --json',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config(`url: ${yamlText(s.url('mysql', { user: 'admin', password: 'none' }))}`, 'password: "${env:DB_PW}"');
      const env = { DB_PW: canary.value };
      await s.cli(['up', '--verbose', '--json'], { env, exit: EXIT.connect });
      await s.cli(['config', '--json'], { env, exit: EXIT.ok });
    },
  },
  {
    name: 'wrong password, MIGRATOR_PASSWORD in .env: status --verbose --json, config',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.dotenv({ MIGRATOR_PASSWORD: canary.value, MIGRATOR_URL: s.url('mysql', { user: 'admin', password: 'none' }) });
      await s.cli(['status', '--verbose', '--json'], { exit: EXIT.connect });
      await s.cli(['config'], { exit: EXIT.ok });
    },
  },
  {
    name: 'wrong password, password: {file}: down --verbose --json, up',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.secretFile();
      s.config(`url: ${yamlText(s.url('mysql', { user: 'admin', password: 'none' }))}`, 'password:', '  file: secret.txt');
      await s.cli(['down', '--verbose', '--json'], { exit: EXIT.connect });
      await s.cli(['up'], { exit: EXIT.connect });
    },
  },
  {
    name: 'wrong password, password: {command} with a trailing newline: up --verbose --json',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secret.txt', canary.value);
      s.config(`url: ${yamlText(s.url('mysql', { user: 'admin', password: 'none' }))}`, 'password:', `  command: ${yamlText(`printf '%s\\n' "$(cat secret.txt)"`)}`);
      await s.cli(['up', '--verbose', '--json'], { exit: EXIT.connect });
    },
  },
  {
    name: 'wrong password, password: <value> in the config file: status --verbose, validate --json',
    engine: 'mysql',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config(`url: ${yamlText(s.url('mysql', { user: 'admin', password: 'none' }))}`, `password: ${yamlText(canary.value)}`);
      await s.cli(['status', '--verbose'], { exit: EXIT.connect });
      await s.cli(['validate', '--json'], { exit: EXIT.connect });
    },
  },

  // ---- wrong host (127.0.0.1:1: nothing listens) ----
  {
    name: 'wrong host, PostgreSQL --url (encoded): up --verbose --json, status',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'encoded', host: '127.0.0.1:1' });
      await s.cli(['up', '--verbose', '--json', '--url', url], { exit: EXIT.connect, warns: true });
      await s.cli(['status', '--url', url], { exit: EXIT.connect, warns: true });
    },
  },
  {
    name: 'wrong host, MySQL DATABASE_URL (encoded): up --verbose, validate --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { DATABASE_URL: s.url('mysql', { password: 'encoded', host: '127.0.0.1:1' }) };
      await s.cli(['up', '--verbose'], { env, exit: EXIT.connect });
      await s.cli(['validate', '--json'], { env, exit: EXIT.connect });
    },
  },
  {
    name: 'wrong host, password: {file}: status --verbose --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.secretFile();
      s.config(`url: ${yamlText(s.url('postgres', { password: 'none', host: '127.0.0.1:1' }))}`, 'password:', '  file: secret.txt');
      await s.cli(['status', '--verbose', '--json'], { exit: EXIT.connect });
    },
  },
  {
    name: 'wrong host, password: {command} and MIGRATOR_URL: up --json, down --verbose',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('secret.txt', canary.value);
      s.config('password:', '  command: cat secret.txt');
      const env = { MIGRATOR_URL: s.url('mysql', { password: 'none', host: '127.0.0.1:1' }) };
      await s.cli(['up', '--json'], { env, exit: EXIT.connect });
      await s.cli(['down', '--verbose'], { env, exit: EXIT.connect });
    },
  },

  // ---- malformed URLs: the canary raw, its reserved characters unencoded ----
  {
    name: 'malformed PostgreSQL --url (raw canary in the userinfo): up --verbose --json, config, config --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'raw' });
      await s.cli(['up', '--verbose', '--json', '--url', url], { exit: [EXIT.config, EXIT.connect], warns: true });
      await s.cli(['config', '--url', url], { exit: [EXIT.ok, EXIT.config] });
      await s.cli(['config', '--json', '--url', url], { exit: [EXIT.ok, EXIT.config] });
    },
  },
  {
    name: 'malformed MySQL --url (raw canary in the userinfo): up --verbose --json, status',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('mysql', { password: 'raw' });
      await s.cli(['up', '--verbose', '--json', '--url', url], { exit: [EXIT.config, EXIT.connect], warns: true });
      await s.cli(['status', '--url', url], { exit: [EXIT.config, EXIT.connect] });
    },
  },
  {
    name: 'malformed DATABASE_URL (raw canary, PostgreSQL): status --verbose, status --json, config --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const env = { DATABASE_URL: s.url('postgres', { password: 'raw' }) };
      await s.cli(['status', '--verbose'], { env, exit: [EXIT.config, EXIT.connect] });
      await s.cli(['status', '--json'], { env, exit: [EXIT.config, EXIT.connect] });
      await s.cli(['config', '--json'], { env, exit: [EXIT.ok, EXIT.config] });
    },
  },
  {
    name: 'malformed MIGRATOR_URL in .env (raw canary, MySQL): up --verbose --json, config',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.dotenv({ MIGRATOR_URL: s.url('mysql', { password: 'raw' }) });
      await s.cli(['up', '--verbose', '--json'], { exit: [EXIT.config, EXIT.connect] });
      await s.cli(['config'], { exit: [EXIT.ok, EXIT.config] });
    },
  },
  {
    name: 'malformed url: in the config file (raw ${env:DB_PW} in the userinfo, MySQL): up --verbose --json, config --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config('url: "mysql://root:${env:DB_PW}@127.0.0.1:3306/canary_absent"');
      const env = { DB_PW: canary.value };
      await s.cli(['up', '--verbose', '--json'], { env, exit: [EXIT.config, EXIT.connect] });
      await s.cli(['config', '--json'], { env, exit: [EXIT.ok, EXIT.config] });
    },
  },
  {
    // The raw "@" in the query value makes the URL ambiguous: it is refused as malformed (exit 3).
    name: 'malformed --url with the raw canary in ?password=: up, status --json --verbose refused, warned',
    engine: 'postgres',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      const url = s.url('postgres', { password: 'none', query: `?password=${canary.value}` });
      await s.cli(['up', '--url', url], { exit: EXIT.config, warns: true });
      await s.cli(['status', '--json', '--verbose', '--url', url], { exit: EXIT.config });
    },
  },

  // ---- configuration errors ----
  {
    name: 'a password command that fails (exit 3) printing the canary on stderr and stdout: up --verbose --json, config',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', SQLITE_TABLE);
      s.file('secret.txt', canary.value);
      s.config('url: "postgres://app@127.0.0.1:1/canary_absent"', 'password:', '  command: "cat secret.txt >&2; cat secret.txt; exit 3"');
      await s.cli(['up', '--verbose', '--json'], { exit: EXIT.config });
      await s.cli(['config'], { exit: [EXIT.ok, EXIT.config] });
    },
  },
  {
    name: 'the canary in a .env variable nothing selects (SQLite): up --verbose, status --json, config --json',
    engine: 'sqlite',
    rows: 'history',
    async run(s) {
      s.project.write('V1__canary.sql', SQLITE_TABLE);
      s.dotenv({ DB_PW: canary.value, UNUSED_URL: s.url('postgres', { password: 'raw' }) });
      await s.cli(['up', '--verbose'], { exit: EXIT.ok });
      await s.cli(['status', '--json'], { exit: EXIT.ok });
      await s.cli(['config', '--json'], { exit: EXIT.ok });
    },
  },
  {
    name: 'MIGRATOR_PASSWORD in .env with the SQLite default: up --verbose --json exits 3',
    engine: 'sqlite',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', SQLITE_TABLE);
      s.dotenv({ MIGRATOR_PASSWORD: canary.value });
      await s.cli(['up', '--verbose', '--json'], { exit: EXIT.config });
    },
  },
  {
    name: 'password: {command} with a sqlite --url: status --verbose, status --json exit 3',
    engine: 'sqlite',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', SQLITE_TABLE);
      s.file('secret.txt', canary.value);
      s.config('password:', '  command: cat secret.txt');
      await s.cli(['status', '--verbose', '--url', 'sqlite:./migrator.db'], { exit: EXIT.config });
      await s.cli(['status', '--json', '--url', 'sqlite:./migrator.db'], { exit: EXIT.config });
    },
  },
  {
    name: 'password: <value> in a YAML config file with a syntax error: status, status --verbose, status --json --verbose',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config('url: "postgres://app@127.0.0.1:1/canary_absent"', `password: ${yamlText(canary.value)}`, '  lock: {');
      await s.cli(['status'], { exit: EXIT.config });
      await s.cli(['status', '--verbose'], { exit: EXIT.config });
      await s.cli(['status', '--json', '--verbose'], { exit: EXIT.config });
    },
  },
  {
    name: 'password: <value> in a JSON config file with a syntax error: up --json, up --verbose',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.file('migrator.config.json', `{ "url": "postgres://app@127.0.0.1:1/canary_absent", "password": ${JSON.stringify(canary.value)}, }\n`);
      await s.cli(['up', '--json'], { exit: EXIT.config });
      await s.cli(['up', '--verbose'], { exit: EXIT.config });
    },
  },
  {
    name: 'password: <value> with an unknown key and a bad duration in the config file: up --verbose --json, config --verbose, config --json',
    engine: 'none',
    rows: 'none',
    async run(s) {
      s.project.write('V1__canary.sql', REVERSIBLE);
      s.config('url: "postgres://app@127.0.0.1:1/canary_absent"', `password: ${yamlText(canary.value)}`, 'pasword: typo');
      await s.cli(['up', '--verbose', '--json'], { exit: EXIT.config });
      s.config('url: "postgres://app@127.0.0.1:1/canary_absent"', `password: ${yamlText(canary.value)}`, 'lock:', '  timeout: soon');
      await s.cli(['config', '--verbose'], { exit: EXIT.config });
      await s.cli(['config', '--json'], { exit: EXIT.config });
    },
  },

  // ---- usage errors ----
  {
    name: 'an unknown flag or command with --url <canary url>: exit 2, also with --json and --verbose',
    engine: 'none',
    rows: 'none',
    async run(s) {
      const url = s.url('postgres', { password: 'encoded', host: '127.0.0.1:1' });
      await s.cli(['up', '--bogus', '--url', url], { exit: EXIT.usage });
      await s.cli(['--url', url, 'up', '--bogus', '--json'], { exit: EXIT.usage });
      await s.cli(['up', '--verbose', `--url=${s.url('mysql', { password: 'raw' })}`, '--no-such-flag'], { exit: EXIT.usage });
      await s.cli(['no-such-command', '--json', '--url', url], { exit: EXIT.usage });
    },
  },
  {
    name: 'the URL given as an argument instead of --url (encoded, then raw): exit 2',
    engine: 'none',
    rows: 'none',
    async run(s) {
      await s.cli(['status', s.url('postgres', { password: 'encoded', host: '127.0.0.1:1' })], { exit: EXIT.usage });
      await s.cli(['up', '--json', s.url('mysql', { password: 'raw' })], { exit: EXIT.usage });
      await s.cli(['down', '--verbose', s.url('postgres', { password: 'raw' })], { exit: EXIT.usage });
    },
  },
];

describe.concurrent('the password canary never leaks', () => {
  it('has at least 30 scenarios, each with a distinct name', ({ expect }) => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect(new Set(scenarios.map((spec) => spec.name)).size).toBe(scenarios.length);
  });

  it('the scanner finds every form of the canary, and nothing in clean text', ({ expect }) => {
    for (const form of canary.forms) expect(findLeaks(canary, 'probe', `before ${form.text} after`), form.name).not.toEqual([]);
    expect(findLeaks(canary, 'probe', 'postgres://app:***@127.0.0.1:5432/db "ok" 100% done?')).toEqual([]);
    expect(findLeaksInJson(canary, 'probe', JSON.parse(JSON.stringify({ a: [canary.value] })))).not.toEqual([]);
  });

  for (const spec of scenarios) {
    const server = spec.engine === 'postgres' || spec.engine === 'mysql' ? servers[spec.engine] : undefined;
    // A missing server's one-line reason was printed once by serverSetup.
    it.skipIf(server?.skip !== undefined)(`${spec.engine}: ${spec.name}`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      let db: Scenario['db'];
      if (server?.server !== undefined && server.account !== undefined && (spec.engine === 'postgres' || spec.engine === 'mysql')) {
        const database = await createDatabase(server.server, `canary ${spec.engine}`);
        onTestFinished(() => database.drop());
        await server.account.grant(database.name);
        db = { engine: spec.engine, database, account: server.account };
      }
      const scenario = new Scenario(expect, project, db);
      await spec.run(scenario);
      await scenario.checkDatabase(spec.engine, spec.rows);
      expect(scenario.leaks, 'forms of the canary found in output or metadata rows').toEqual([]);
    }, 40_000);
  }
});
