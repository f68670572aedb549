/**
 * Configuration as a user meets it (DESIGN.md section 7): every bad configuration exits 3 with an
 * `error[E_CONFIG]` block naming the key, file or variable, a hint and no stack trace; the layers
 * as `migrate config` reports them; `.env` never leaking into the environment of child processes;
 * and password sources end to end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import { createDatabase, findServer } from '../support/databases.js';
import { EXIT, Project, STACK_FRAME, jsonDoc, unexpectedStderr, type CliResult } from './helpers.js';

interface ConfigDoc {
  ok: boolean;
  environment: string;
  file: string | null;
  dotenv: string | null;
  values: Record<string, { value: string | null; from: string | null }>;
}

interface ErrorDoc {
  ok: false;
  error: { code: string; message: string; hint: string | null };
}

/** Writes files at the project's root (config file, .env, secrets). */
function writeRoot(project: Project, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(project.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

const CONFIG = 'migrator.config.yaml';

interface BadCase {
  readonly name: string;
  readonly files?: Record<string, string>;
  readonly args?: ReadonlyArray<string>;
  readonly env?: Record<string, string>;
  /** Each must match the `error[E_CONFIG]: ...` line. */
  readonly message: ReadonlyArray<RegExp>;
}

const BAD: ReadonlyArray<BadCase> = [
  { name: 'an unknown key in migrator.config.yaml', files: { [CONFIG]: 'migrations:\n  dir: x\n' }, message: [/migrator\.config\.yaml: migrations: unknown key "dir"/] },
  { name: 'an unknown key in an environment block', files: { [CONFIG]: 'environments:\n  prod:\n    lock:\n      timout: 5s\n' }, message: [/migrator\.config\.yaml: environments\.prod\.lock: unknown key "timout"/] },
  { name: 'a list where a duration goes', files: { [CONFIG]: 'lock:\n  timeout: [1]\n' }, message: [/migrator\.config\.yaml: lock\.timeout: /] },
  { name: 'text where an integer goes', files: { [CONFIG]: 'execution:\n  lockRetries: "x"\n' }, message: [/migrator\.config\.yaml: execution\.lockRetries: /] },
  { name: 'a value outside the enum', files: { 'migrator.config.json': '{"lock": {"strategy": "magic"}}' }, message: [/migrator\.config\.json: lock\.strategy: /] },
  // The reason and its line:column, not just "YAML Error in <file>:".
  { name: 'a syntax error in the YAML', files: { [CONFIG]: 'url: sqlite:./a.db\nlock: [unclosed\n' }, message: [/migrator\.config\.yaml/, /\d+:\d+|line \d+/] },
  { name: 'a syntax error in an explicit --config file', files: { 'deploy/custom.yaml': 'url: [unclosed\n' }, args: ['--config', 'deploy/custom.yaml'], message: [/custom\.yaml/, /\d+:\d+|line \d+/] },
  { name: 'a missing --config file', args: ['--config', 'nope.yaml'], message: [/nope\.yaml/, /no such file/] },
  // The flag is --dotenv, not --env-file: Node.js (20 and later) takes any `--env-file <path>` in argv
  // for itself, even after the script, and exits 9 before migrator runs (nodejs/node#54232).
  { name: 'a missing --dotenv', args: ['--dotenv', 'nope.env'], message: [/nope\.env/, /no such file/] },
  { name: 'an unset ${env:X} in url', files: { [CONFIG]: 'url: postgres://app@db/${env:E2E_UNSET_DB}\n' }, message: [/^error\[E_CONFIG\]: url \(set by file migrator\.config\.yaml\)/, /E2E_UNSET_DB/] },
  { name: 'an unset ${env:X} in the selected environment block', files: { [CONFIG]: 'environments:\n  prod:\n    actor: ${env:E2E_UNSET_ACTOR}\n' }, args: ['--env', 'prod'], message: [/actor \(set by file migrator\.config\.yaml \(environments\.prod\)\)/, /E2E_UNSET_ACTOR/] },
  { name: 'a failing password command', files: { [CONFIG]: 'password:\n  command: "exit 3"\n' }, message: [/password \(set by file migrator\.config\.yaml\)/, /exit code 3/] },
  { name: 'a missing password file', files: { [CONFIG]: 'password:\n  file: secrets/db.pw\n' }, message: [/password \(set by file migrator\.config\.yaml\)/, /secrets\/db\.pw/] },
  { name: 'an undefined --env', files: { [CONFIG]: 'environments:\n  staging: {}\n  prod: {}\n' }, args: ['--env', 'nope'], message: [/"nope"/, /staging, prod/] },
  { name: 'an undefined MIGRATOR_ENV from .env', files: { [CONFIG]: 'environments:\n  staging: {}\n', '.env': 'MIGRATOR_ENV=prod\n' }, message: [/"prod"/, /staging/] },
  { name: 'an unknown MIGRATOR_FOO in the environment', env: { MIGRATOR_FOO: '1' }, message: [/environment: unknown variable MIGRATOR_FOO/] },
  { name: 'an unknown MIGRATOR_* in .env', files: { '.env': 'MIGRATOR_LOCK_TIMOUT=5s\n' }, message: [/^error\[E_CONFIG\]: \.env: unknown variable MIGRATOR_LOCK_TIMOUT/] },
  { name: 'an unknown MIGRATOR_* in a --dotenv file', files: { 'env/ci.env': 'MIGRATOR_FOO=1\n' }, args: ['--dotenv', 'env/ci.env'], message: [/env[/\\]ci\.env: unknown variable MIGRATOR_FOO/] },
  { name: 'a non-integer MIGRATOR_EXECUTION_LOCK_RETRIES', env: { MIGRATOR_EXECUTION_LOCK_RETRIES: 'x' }, message: [/MIGRATOR_EXECUTION_LOCK_RETRIES \(set by environment\): "x"/] },
  { name: 'a bad --lock-timeout (a configuration value, not usage)', args: ['--lock-timeout', 'soon'], message: [/lock\.timeout \(set by flags\): "soon" is not a duration/] },
  { name: 'a bad MIGRATOR_LOCK_TIMEOUT', env: { MIGRATOR_LOCK_TIMEOUT: 'soon' }, message: [/lock\.timeout \(set by environment\): "soon"/] },
];

function expectConfigError(expect: ExpectStatic, result: CliResult, message: ReadonlyArray<RegExp>): void {
  expect(result.code, result.stderr).toBe(EXIT.config);
  const line = /^error\[E_CONFIG\]: .*$/m.exec(result.stderr)?.[0];
  expect(line, result.stderr).toBeDefined();
  for (const pattern of message) expect(line, result.stderr).toMatch(pattern);
  expect(result.stderr).toMatch(/^ {2}hint: \S/m);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(unexpectedStderr(result.stderr)).toEqual([]);
}

describe.concurrent('bad configuration: exit 3, error[E_CONFIG] naming what is wrong, a hint, no stack trace', () => {
  it.for(BAD)('$name', async ({ files = {}, args = [], env = {}, message }, { expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    writeRoot(project, files);
    const result = await project.run(['up', ...args], { env });
    expectConfigError(expect, result, message);
    expect(result.stdout).toBe('');
    // Refused before any connection: no database was created.
    expect(project.dbExists()).toBe(false);
  });

  it('the at: line of a YAML syntax error names the file, not the directory', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { [CONFIG]: 'lock: [unclosed\n' });
    const result = await project.run(['config']);
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr).toMatch(/^ {2}at: migrator\.config\.yaml(?::\d+(?::\d+)?)?$/m);
  });

  it('--json: the error is one JSON document on stdout as well', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const result = await project.run(['config', '--json'], { env: { MIGRATOR_FOO: '1' } });
    expect(result.code).toBe(EXIT.config);
    const doc = jsonDoc<ErrorDoc>(result.stdout);
    expect(doc).toMatchObject({ ok: false, error: { code: 'E_CONFIG', message: 'environment: unknown variable MIGRATOR_FOO' } });
    expect(doc.error.hint).toBeTruthy();
  });

  it('a password with a SQLite URL: exit 3 saying SQLite has no password', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', 'CREATE TABLE a (x);\n');
    writeRoot(project, { [CONFIG]: 'password:\n  command: echo pw-for-nothing\n' });
    const result = await project.run(['up']);
    expectConfigError(expect, result, [/SQLite database has no password/]);
    expect(project.dbExists()).toBe(false);
  });
});

describe.concurrent('precedence, end to end: migrate config --json', () => {
  const FILES = {
    [CONFIG]: [
      'url: sqlite:./file.db',
      'lock:',
      '  timeout: 10s',
      'log:',
      '  level: error',
      'actor: file-actor',
      'environments:',
      '  staging:',
      '    url: sqlite:./staging.db',
      '    actor: staging-actor',
      '    lock:',
      '      timeout: 20s',
      '',
    ].join('\n'),
    '.env': 'DATABASE_URL=sqlite:./dotenv.db\nMIGRATOR_LOCK_TIMEOUT=30s\nMIGRATOR_LOG_LEVEL=warn\n',
  };
  const ENV = { MIGRATOR_LOCK_TIMEOUT: '40s' };

  async function configDoc(project: Project, args: ReadonlyArray<string>, env: Record<string, string> = ENV): Promise<ConfigDoc> {
    const result = await project.run(['config', '--json', ...args], { env });
    if (result.code !== EXIT.ok) throw new Error(`migrate config exited ${String(result.code)}\n${result.stderr}`);
    return jsonDoc<ConfigDoc>(result.stdout);
  }
  const pick = (doc: ConfigDoc, ...keys: string[]) => Object.fromEntries(keys.map((key) => [key, doc.values[key]]));

  it('each key from the highest layer that sets it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, FILES);
    const doc = await configDoc(project, ['--url', 'sqlite:./flag.db']);
    expect(doc).toMatchObject({ ok: true, environment: 'default', file: CONFIG, dotenv: '.env' });
    expect(pick(doc, 'url', 'lock.timeout', 'log.level', 'actor', 'migrations.dirs', 'password')).toEqual({
      url: { value: 'sqlite:./flag.db', from: 'flags' },
      'lock.timeout': { value: '40s', from: 'environment' },
      'log.level': { value: 'warn', from: '.env' },
      actor: { value: 'file-actor', from: `file ${CONFIG}` },
      'migrations.dirs': { value: 'migrations', from: 'defaults' },
      password: { value: null, from: null },
    });
  });

  it('without the flag, DATABASE_URL from .env; without the variable, .env\'s lock timeout', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, FILES);
    const doc = await configDoc(project, [], {});
    expect(pick(doc, 'url', 'lock.timeout')).toEqual({
      url: { value: 'sqlite:./dotenv.db', from: '.env' },
      'lock.timeout': { value: '30s', from: '.env' },
    });
  });

  it('flags for every key that has one', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, FILES);
    const doc = await configDoc(project, ['--url', 'sqlite:./f.db', '--dir', 'db/a', '--dir', 'db/b', '--lock-timeout', '2m', '--actor', 'flag-actor', '--log-level', 'debug']);
    expect(pick(doc, 'url', 'migrations.dirs', 'lock.timeout', 'actor', 'log.level')).toEqual({
      url: { value: 'sqlite:./f.db', from: 'flags' },
      'migrations.dirs': { value: 'db/a, db/b', from: 'flags' },
      'lock.timeout': { value: '2m', from: 'flags' },
      actor: { value: 'flag-actor', from: 'flags' },
      'log.level': { value: 'debug', from: 'flags' },
    });
  });

  for (const [how, args, env] of [
    ['--env staging', ['--env', 'staging'], ENV],
    ['MIGRATOR_ENV=staging', [], { ...ENV, MIGRATOR_ENV: 'staging' }],
    ['-e staging over MIGRATOR_ENV=other', ['-e', 'staging'], { ...ENV, MIGRATOR_ENV: 'other' }],
  ] as const) {
    it(`${how} picks the staging block, below .env and the environment`, async ({ expect, onTestFinished }) => {
      const project = new Project({ onTestFinished });
      writeRoot(project, FILES);
      const doc = await configDoc(project, args, env);
      expect(doc.environment).toBe('staging');
      expect(pick(doc, 'actor', 'url', 'lock.timeout', 'log.level')).toEqual({
        actor: { value: 'staging-actor', from: `file ${CONFIG} (environments.staging)` },
        url: { value: 'sqlite:./dotenv.db', from: '.env' },
        'lock.timeout': { value: '40s', from: 'environment' },
        'log.level': { value: 'warn', from: '.env' },
      });
    });
  }

  it('MIGRATOR_ENV in .env selects the block', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { [CONFIG]: FILES[CONFIG], '.env': 'MIGRATOR_ENV=staging\n' });
    const doc = await configDoc(project, [], {});
    expect(doc.environment).toBe('staging');
    expect(pick(doc, 'url', 'lock.timeout')).toEqual({
      url: { value: 'sqlite:./staging.db', from: `file ${CONFIG} (environments.staging)` },
      'lock.timeout': { value: '20s', from: `file ${CONFIG} (environments.staging)` },
    });
  });

  it('--dotenv replaces ./.env', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { ...FILES, 'env/ci.env': 'MIGRATOR_ACTOR=ci-bot\n' });
    const doc = await configDoc(project, ['--dotenv', 'env/ci.env'], {});
    expect(doc.dotenv).toBe(path.join('env', 'ci.env'));
    expect(pick(doc, 'actor', 'url')).toEqual({
      actor: { value: 'ci-bot', from: path.join('env', 'ci.env') },
      url: { value: 'sqlite:./file.db', from: `file ${CONFIG}` },
    });
  });

  it('the human table shows the same values and origins', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, FILES);
    const result = await project.run(['config', '--url', 'sqlite:./flag.db'], { env: ENV });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^Config file: migrator\.config\.yaml$/m);
    expect(result.stdout).toMatch(/^url +sqlite:\.\/flag\.db +flags$/m);
    expect(result.stdout).toMatch(/^lock\.timeout +40s +environment$/m);
    expect(result.stdout).toMatch(/^log\.level +warn +\.env$/m);
    expect(result.stdout).toMatch(/^actor +file-actor +file migrator\.config\.yaml$/m);
  });

  it('a URL with a password is shown redacted, and the password appears nowhere', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const password = 'E2e-S3cret-pw';
    const result = await project.run(['config', '--json'], { env: { DATABASE_URL: `postgres://app:${password}@db.internal:5432/orders` } });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(jsonDoc<ConfigDoc>(result.stdout).values['url']).toEqual({ value: 'postgres://app:***@db.internal:5432/orders', from: 'environment' });
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  });

  it('a malformed --url (raw reserved characters in the password) leaks no part of the password', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const password = `Cn4ry-e2e-p@ss:/#?%'"`;
    const result = await project.run(['config', '--url', `postgres://u:${password}@127.0.0.1:5432/db`]);
    // Refused as ambiguous, naming what to percent-encode, and quoting nothing of it.
    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(result.stderr).toMatch(/^error\[E_CONFIG\]: url: the PostgreSQL URL's user or password holds an unencoded/m);
    const printed = `${result.stdout}\n${result.stderr}`;
    const leaked = Array.from({ length: password.length - 5 }, (_, i) => password.slice(i, i + 6)).filter((piece) => printed.includes(piece));
    expect(leaked).toEqual([]);
  });
});

describe.concurrent('.env is read, never written to the process environment', () => {
  const config = (command: string) => `password:\n  command: ${JSON.stringify(command)}\n`;

  it('a password command cannot see a variable that only .env sets (dotenv.parse, not dotenv.config)', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { [CONFIG]: config('printenv DOTENV_ONLY'), '.env': 'DOTENV_ONLY=from-the-dotenv-file\n' });
    const result = await project.run(['config']);
    expectConfigError(expect, result, [/password \(set by file migrator\.config\.yaml\)/, /exit code 1/]);
    expect(result.stderr).not.toContain('from-the-dotenv-file');
  });

  it('the same command works when the process environment has the variable', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { [CONFIG]: config('printenv DOTENV_ONLY'), '.env': 'DOTENV_ONLY=from-the-dotenv-file\n' });
    const result = await project.run(['config', '--json'], { env: { DOTENV_ONLY: 'from-the-process-environment' } });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(jsonDoc<ConfigDoc>(result.stdout).values['password']).toEqual({ value: '*** (printed by a command, 10s timeout)', from: `file ${CONFIG}` });
    expect(`${result.stdout}${result.stderr}`).not.toContain('from-the-process-environment');
  });

  it('${env:NAME} does read .env, so a value can still be passed to the command explicitly', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    writeRoot(project, { [CONFIG]: config('echo ${env:DOTENV_ONLY}'), '.env': 'DOTENV_ONLY=from-the-dotenv-file\n' });
    const result = await project.run(['config', '--json']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(jsonDoc<ConfigDoc>(result.stdout).values['password']?.value).toBe('*** (printed by a command, 10s timeout)');
    expect(`${result.stdout}${result.stderr}`).not.toContain('from-the-dotenv-file');
  });
});

const pg = await findServer('postgres');

describe.skipIf(pg.skip !== undefined)(`a password command against PostgreSQL${pg.skip ? ` (${pg.skip})` : ''}`, () => {
  it('up and status exit 0 with password.command supplying the password', async ({ expect, onTestFinished }) => {
    if (!pg.server) return;
    const database = await createDatabase(pg.server, 'config password command');
    onTestFinished(() => database.drop());
    // The server's own password when it has one (Docker), else any text (trust auth ignores it).
    const url = new URL(database.url);
    const password = decodeURIComponent(url.password) || 'pw-ignored-by-trust';
    url.password = '';
    const project = new Project({ onTestFinished });
    project.write('V1__create_t.sql', 'CREATE TABLE t (id int);\n');
    writeRoot(project, { [CONFIG]: 'password:\n  command: printf \'%s\\n\' "$E2E_DB_PASSWORD"\n  timeout: 5s\n' });
    const env = { E2E_DB_PASSWORD: password };

    const up = await project.run(['up', '--url', url.toString()], { env });
    expect(up.code, up.stderr).toBe(EXIT.ok);
    const status = await project.run(['status', '--json', '--url', url.toString()], { env });
    expect(status.code, status.stderr).toBe(EXIT.ok);
    expect(jsonDoc<{ pending: number; current: string | null }>(status.stdout)).toMatchObject({ pending: 0, current: '1' });
    for (const result of [up, status]) expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  });
});
