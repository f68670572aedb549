/**
 * Configuration layering (DESIGN.md section 7): defaults < config file (top level, then the selected
 * environments.<name> block) < .env < environment variables < flags. A generated precedence matrix
 * over one key of each kind, then the rules around it: DATABASE_URL, MIGRATOR_ENV, empty variables,
 * list and integer text, unknown variables, isolation of environment blocks, `${env:NAME}`
 * interpolation, and `migrate config`'s description of the result.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig } from '../../src/config/describe.js';
import { loadDotenv } from '../../src/config/dotenv.js';
import { loadConfigFile, type FileConfig } from '../../src/config/file.js';
import { KEYS, type ConfigKey, type KeyKind, type RawValue } from '../../src/config/keys.js';
import { resolveConfig, type ConfigInputs } from '../../src/config/resolve.js';
import type { Config } from '../../src/config/schema.js';
import { MigratorError } from '../../src/core/errors.js';

type Block = FileConfig['base'];

const FILE = 'migrator.config.yaml';
const DOTENV = '.env';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-layers-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The E_CONFIG error `attempt` throws (fails the test when it throws nothing or something else). */
function configError(attempt: () => unknown): MigratorError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(MigratorError);
    expect((error as MigratorError).code).toBe('E_CONFIG');
    return error as MigratorError;
  }
  throw new Error('expected an E_CONFIG error, got none');
}

// ---------------------------------------------------------------------------------------------
// The precedence matrix
// ---------------------------------------------------------------------------------------------

const LAYERS = ['defaults', 'base', 'block', 'dotenv', 'env', 'flag'] as const;
type LayerId = (typeof LAYERS)[number];
type Role = 'low' | 'high';

/** The name `origins` gives each layer (the environment block selected is `staging`). */
const ORIGIN: Record<LayerId, string> = {
  defaults: 'defaults',
  base: `file ${FILE}`,
  block: `file ${FILE} (environments.staging)`,
  dotenv: DOTENV,
  env: 'environment',
  flag: 'flags',
};

/** One layer's setting of the key under test, in that layer's own format, and the value it must give. */
interface Setting {
  readonly block?: Block;
  readonly text?: string;
  readonly flag?: RawValue;
  readonly expected: unknown;
}

interface KeyCase {
  readonly key: ConfigKey;
  readonly kind: KeyKind;
  /** The layers that can set the key, lowest first. */
  readonly layers: ReadonlyArray<LayerId>;
  /** What `layer` sets; `low` and `high` give different values, so a winner is visible in the value too. */
  setting(layer: LayerId, role: Role): Setting;
  read(config: Config): unknown;
}

const rank = (layer: LayerId): number => LAYERS.indexOf(layer);

const KEY_CASES: ReadonlyArray<KeyCase> = [
  {
    key: 'url',
    kind: 'string',
    layers: LAYERS,
    setting(layer, role) {
      if (layer === 'defaults') return { expected: 'sqlite:./migrator.db' };
      const url = `sqlite:./${layer}-${role}.db`;
      if (layer === 'base' || layer === 'block') return { block: { url }, expected: url };
      if (layer === 'flag') return { flag: url, expected: url };
      return { text: url, expected: url };
    },
    read: (config) => config.url,
  },
  {
    key: 'lock.timeout',
    kind: 'duration',
    layers: LAYERS,
    setting(layer, role) {
      if (layer === 'defaults') return { expected: 300_000 };
      const seconds = (role === 'high' ? 20 : 10) + rank(layer);
      const expected = seconds * 1000;
      // Each layer in another spelling: a YAML number (seconds), `s`, `ms`, bare text (seconds).
      if (layer === 'base') return { block: { lock: { timeout: seconds } }, expected };
      if (layer === 'block') return { block: { lock: { timeout: `${seconds}s` } }, expected };
      if (layer === 'dotenv') return { text: `${expected}ms`, expected };
      if (layer === 'env') return { text: String(seconds), expected };
      return { flag: `${seconds}s`, expected };
    },
    read: (config) => config.lock.timeoutMs,
  },
  {
    key: 'migrations.dirs',
    kind: 'list',
    layers: LAYERS,
    setting(layer, role) {
      if (layer === 'defaults') return { expected: ['migrations'] };
      const dirs = [`${layer}-${role}-1`, `${layer}-${role}-2`];
      if (layer === 'base') return { block: { migrations: { dirs: dirs.slice(0, 1) } }, expected: dirs.slice(0, 1) };
      if (layer === 'block') return { block: { migrations: { dirs } }, expected: dirs };
      if (layer === 'dotenv') return { text: dirs.join(', '), expected: dirs };
      if (layer === 'env') return { text: dirs.join(','), expected: dirs };
      return { flag: dirs, expected: dirs };
    },
    read: (config) => config.migrations.dirs,
  },
  {
    key: 'execution.lockRetries',
    kind: 'integer',
    layers: ['defaults', 'base', 'block', 'dotenv', 'env'],
    setting(layer, role) {
      if (layer === 'defaults') return { expected: 3 };
      const n = (role === 'high' ? 20 : 10) + rank(layer);
      if (layer === 'base' || layer === 'block') return { block: { execution: { lockRetries: n } }, expected: n };
      return { text: String(n), expected: n };
    },
    read: (config) => config.execution.lockRetries,
  },
  {
    key: 'lock.strategy',
    kind: 'string',
    layers: ['defaults', 'base', 'block', 'dotenv', 'env'],
    setting(layer, role) {
      // Two values only: the winner always says `table`, the loser (and the default) `advisory`.
      const strategy = role === 'high' ? 'table' : 'advisory';
      if (layer === 'defaults') return { expected: 'advisory' };
      if (layer === 'base' || layer === 'block') return { block: { lock: { strategy } }, expected: strategy };
      return { text: strategy, expected: strategy };
    },
    read: (config) => config.lock.strategy,
  },
  {
    key: 'password',
    kind: 'password',
    // No default and no flag: a password on the command line would be in the process list.
    layers: ['base', 'block', 'dotenv', 'env'],
    setting(layer, role) {
      if (layer === 'base' && role === 'low') return { block: { password: 'pw-base-low' }, expected: { kind: 'literal', value: 'pw-base-low' } };
      if (layer === 'base') return { block: { password: { file: 'secrets/base-high' } }, expected: { kind: 'file', path: 'secrets/base-high' } };
      if (layer === 'block' && role === 'low') return { block: { password: { file: 'secrets/block-low' } }, expected: { kind: 'file', path: 'secrets/block-low' } };
      if (layer === 'block') return { block: { password: { command: 'echo block-high', timeout: '3s' } }, expected: { kind: 'command', command: 'echo block-high', timeoutMs: 3000 } };
      const value = `pw-${layer}-${role}`;
      return { text: value, expected: { kind: 'literal', value } };
    },
    read: (config) => config.password,
  },
];

function variableOf(key: ConfigKey): string {
  const spec = KEYS.find((s) => s.key === key);
  if (!spec?.env) throw new Error(`no variable for key ${key}`);
  return spec.env;
}

/** Inputs in which only the given layers set `keyCase.key` (the file, its `staging` block and `.env` always exist). */
function inputsFor(keyCase: KeyCase, settings: Partial<Record<LayerId, Setting>>): ConfigInputs {
  const variable = variableOf(keyCase.key);
  const vars = (setting: Setting | undefined): Record<string, string> => (setting?.text === undefined ? {} : { [variable]: setting.text });
  return {
    file: { file: FILE, base: settings.base?.block ?? {}, environments: { staging: settings.block?.block ?? {}, other: {} } },
    dotenv: { file: DOTENV, variables: vars(settings.dotenv) },
    env: vars(settings.env),
    flags: settings.flag?.flag === undefined ? {} : { [keyCase.key]: settings.flag.flag },
    environment: 'staging',
  };
}

interface MatrixCase {
  readonly name: string;
  readonly keyCase: KeyCase;
  readonly set: ReadonlyArray<LayerId>;
  readonly winner: LayerId;
}

const MATRIX: MatrixCase[] = KEY_CASES.flatMap((keyCase) => [
  ...keyCase.layers.flatMap((low, i) =>
    keyCase.layers.slice(i + 1).map((high) => ({ name: `${keyCase.key}: ${high} over ${low}`, keyCase, set: [low, high], winner: high })),
  ),
  { name: `${keyCase.key}: every layer set, the highest wins`, keyCase, set: keyCase.layers, winner: keyCase.layers[keyCase.layers.length - 1] ?? 'defaults' },
]);

describe('precedence matrix: defaults < file < environments.<name> < .env < environment < flags', () => {
  it('covers one key of each kind, with the kinds of the key table', () => {
    expect(KEY_CASES.map((c) => [c.key, c.kind])).toEqual(KEY_CASES.map((c) => [c.key, KEYS.find((s) => s.key === c.key)?.kind]));
    expect(new Set(KEY_CASES.map((c) => c.kind))).toEqual(new Set<KeyKind>(['string', 'duration', 'list', 'integer', 'password']));
    // Every pair of the layers each key can be set by, plus one "all layers" case per key.
    expect(MATRIX).toHaveLength(KEY_CASES.reduce((n, c) => n + (c.layers.length * (c.layers.length - 1)) / 2 + 1, 0));
  });

  it.each(MATRIX)('$name', ({ keyCase, set, winner }) => {
    const settings: Partial<Record<LayerId, Setting>> = {};
    for (const layer of set) settings[layer] = keyCase.setting(layer, layer === winner ? 'high' : 'low');
    const expected = keyCase.setting(winner, 'high').expected;
    const resolved = resolveConfig(inputsFor(keyCase, settings));
    expect(keyCase.read(resolved.config)).toEqual(expected);
    expect(resolved.origins.get(keyCase.key)).toBe(ORIGIN[winner]);
  });

  it.each(KEY_CASES)('$key: with no layer setting it, the default (or nothing) applies', (keyCase) => {
    const resolved = resolveConfig(inputsFor(keyCase, {}));
    if (keyCase.layers.includes('defaults')) {
      expect(keyCase.read(resolved.config)).toEqual(keyCase.setting('defaults', 'low').expected);
      expect(resolved.origins.get(keyCase.key)).toBe('defaults');
    } else {
      expect(keyCase.read(resolved.config)).toBeUndefined();
      expect(resolved.origins.has(keyCase.key)).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The rules around the matrix
// ---------------------------------------------------------------------------------------------

const fileWith = (base: Block, environments: Record<string, Block> = {}): FileConfig => ({ file: FILE, base, environments });
const dotenvOf = (variables: Record<string, string>, file = DOTENV) => ({ file, variables });

describe('DATABASE_URL and MIGRATOR_URL', () => {
  it.each([
    { name: 'DATABASE_URL first', env: { DATABASE_URL: 'sqlite:./database-url.db', MIGRATOR_URL: 'sqlite:./migrator-url.db' } },
    { name: 'MIGRATOR_URL first', env: { MIGRATOR_URL: 'sqlite:./migrator-url.db', DATABASE_URL: 'sqlite:./database-url.db' } },
  ])('MIGRATOR_URL wins over DATABASE_URL in the same layer ($name)', ({ env }) => {
    const fromEnv = resolveConfig({ env, flags: {} });
    expect(fromEnv.config.url).toBe('sqlite:./migrator-url.db');
    expect(fromEnv.origins.get('url')).toBe('environment');
    const fromDotenv = resolveConfig({ dotenv: dotenvOf(env), env: {}, flags: {} });
    expect(fromDotenv.config.url).toBe('sqlite:./migrator-url.db');
    expect(fromDotenv.origins.get('url')).toBe(DOTENV);
  });

  it('DATABASE_URL alone sets url, above the file', () => {
    const resolved = resolveConfig({ file: fileWith({ url: 'sqlite:./file.db' }), env: { DATABASE_URL: 'sqlite:./database-url.db' }, flags: {} });
    expect(resolved.config.url).toBe('sqlite:./database-url.db');
    expect(resolved.origins.get('url')).toBe('environment');
  });

  it('layers still decide across them: DATABASE_URL in the environment beats MIGRATOR_URL in .env', () => {
    const resolved = resolveConfig({ dotenv: dotenvOf({ MIGRATOR_URL: 'sqlite:./dotenv.db' }), env: { DATABASE_URL: 'sqlite:./env.db' }, flags: {} });
    expect(resolved.config.url).toBe('sqlite:./env.db');
    expect(resolved.origins.get('url')).toBe('environment');
  });
});

describe('selecting the environment block', () => {
  const file = fileWith({ actor: 'base' }, { a: { actor: 'actor-a' }, b: { actor: 'actor-b' } });
  it.each([
    { name: 'nothing selects: the top level only', env: {}, dotenv: {}, flag: undefined, environment: 'default', actor: 'base' },
    { name: 'MIGRATOR_ENV from .env when the process environment has none', env: {}, dotenv: { MIGRATOR_ENV: 'a' }, flag: undefined, environment: 'a', actor: 'actor-a' },
    { name: 'MIGRATOR_ENV from the environment over .env', env: { MIGRATOR_ENV: 'b' }, dotenv: { MIGRATOR_ENV: 'a' }, flag: undefined, environment: 'b', actor: 'actor-b' },
    { name: 'an empty MIGRATOR_ENV in the environment counts as unset', env: { MIGRATOR_ENV: '' }, dotenv: { MIGRATOR_ENV: 'a' }, flag: undefined, environment: 'a', actor: 'actor-a' },
    { name: '--env over MIGRATOR_ENV (environment and .env)', env: { MIGRATOR_ENV: 'b' }, dotenv: { MIGRATOR_ENV: 'b' }, flag: 'a', environment: 'a', actor: 'actor-a' },
  ])('$name', ({ env, dotenv, flag, environment, actor }) => {
    const resolved = resolveConfig({ file, dotenv: dotenvOf(dotenv), env, flags: {}, environment: flag });
    expect(resolved.config.environment).toBe(environment);
    expect(resolved.config.actor).toBe(actor);
    expect(resolved.origins.get('actor')).toBe(environment === 'default' ? `file ${FILE}` : `file ${FILE} (environments.${environment})`);
  });

  it('an undefined environment is E_CONFIG listing the defined ones', () => {
    const error = configError(() => resolveConfig({ file, env: { MIGRATOR_ENV: 'prod' }, flags: {} }));
    expect(error.message).toContain('"prod"');
    expect(error.message).toContain('a, b');
    expect(error.hint).toContain('a, b');
  });

  it('an environment with no config file at all is E_CONFIG', () => {
    const error = configError(() => resolveConfig({ env: {}, flags: {}, environment: 'prod' }));
    expect(error.message).toMatch(/"prod".*no config file/);
  });
});

describe('variables as text', () => {
  it.each<{ variable: string; key: ConfigKey; dotenv: string; read: (c: Config) => unknown; expected: unknown }>([
    { variable: 'MIGRATOR_URL', key: 'url', dotenv: 'sqlite:./dotenv.db', read: (c) => c.url, expected: 'sqlite:./dotenv.db' },
    { variable: 'DATABASE_URL', key: 'url', dotenv: 'sqlite:./dotenv.db', read: (c) => c.url, expected: 'sqlite:./dotenv.db' },
    { variable: 'MIGRATOR_LOCK_TIMEOUT', key: 'lock.timeout', dotenv: '7s', read: (c) => c.lock.timeoutMs, expected: 7000 },
    { variable: 'MIGRATOR_EXECUTION_LOCK_RETRIES', key: 'execution.lockRetries', dotenv: '7', read: (c) => c.execution.lockRetries, expected: 7 },
    { variable: 'MIGRATOR_MIGRATIONS_DIRS', key: 'migrations.dirs', dotenv: 'dotenv-dir', read: (c) => c.migrations.dirs, expected: ['dotenv-dir'] },
    { variable: 'MIGRATOR_PASSWORD', key: 'password', dotenv: 'dotenv-pw', read: (c) => c.password, expected: { kind: 'literal', value: 'dotenv-pw' } },
  ])('an empty $variable in the environment counts as unset (.env applies)', ({ variable, key, dotenv, read, expected }) => {
    const resolved = resolveConfig({ dotenv: dotenvOf({ [variable]: dotenv }), env: { [variable]: '' }, flags: {} });
    expect(read(resolved.config)).toEqual(expected);
    expect(resolved.origins.get(key)).toBe(DOTENV);
  });

  it('an empty variable in .env counts as unset too (the file applies)', () => {
    const resolved = resolveConfig({ file: fileWith({ url: 'sqlite:./file.db' }), dotenv: dotenvOf({ MIGRATOR_URL: '', DATABASE_URL: '' }), env: {}, flags: {} });
    expect(resolved.config.url).toBe('sqlite:./file.db');
    expect(resolved.origins.get('url')).toBe(`file ${FILE}`);
  });

  it.each([
    ['a, b,,c', ['a', 'b', 'c']],
    [' one ', ['one']],
    ['x,y', ['x', 'y']],
    ['db/a , db/b ,', ['db/a', 'db/b']],
  ])('list %j -> %j', (text, expected) => {
    expect(resolveConfig({ env: { MIGRATOR_MIGRATIONS_DIRS: text }, flags: {} }).config.migrations.dirs).toEqual(expected);
  });

  it('a list of only commas gives no directory: E_CONFIG naming the key and the layer', () => {
    const error = configError(() => resolveConfig({ env: { MIGRATOR_MIGRATIONS_DIRS: ' , ,' }, flags: {} }));
    expect(error.message).toMatch(/^migrations\.dirs \(set by environment\): /);
  });

  it.each([
    ['0', 0],
    ['3', 3],
    ['100', 100],
  ])('integer %j -> %d', (text, expected) => {
    expect(resolveConfig({ env: { MIGRATOR_EXECUTION_LOCK_RETRIES: text }, flags: {} }).config.execution.lockRetries).toBe(expected);
  });

  it.each([
    { layer: 'environment', text: 'x' },
    { layer: 'environment', text: '2.5' },
    { layer: 'environment', text: ' ' },
    { layer: 'environment', text: '0x10' },
    { layer: DOTENV, text: 'x' },
  ])('integer $text from $layer -> E_CONFIG naming the variable and the layer', ({ layer, text }) => {
    const variables = { MIGRATOR_EXECUTION_LOCK_RETRIES: text };
    const error = configError(() => resolveConfig(layer === DOTENV ? { dotenv: dotenvOf(variables), env: {}, flags: {} } : { env: variables, flags: {} }));
    expect(error.message).toContain('MIGRATOR_EXECUTION_LOCK_RETRIES');
    expect(error.message).toContain(`(set by ${layer})`);
    expect(error.message).toContain(`"${text}"`);
    expect(error.hint).toBeTruthy();
  });

  it('an integer out of range names the key and the layer', () => {
    const error = configError(() => resolveConfig({ env: { MIGRATOR_EXECUTION_LOCK_RETRIES: '101' }, flags: {} }));
    expect(error.message).toMatch(/^execution\.lockRetries \(set by environment\): /);
  });

  it.each([
    { layer: 'environment', inputs: (v: Record<string, string>): ConfigInputs => ({ env: v, flags: {} }) },
    { layer: DOTENV, inputs: (v: Record<string, string>): ConfigInputs => ({ dotenv: dotenvOf(v), env: {}, flags: {} }) },
    { layer: 'config/dev.env', inputs: (v: Record<string, string>): ConfigInputs => ({ dotenv: dotenvOf(v, 'config/dev.env'), env: {}, flags: {} }) },
  ])('an unknown MIGRATOR_FOO from $layer is E_CONFIG naming it and where it was set', ({ layer, inputs }) => {
    const error = configError(() => resolveConfig(inputs({ MIGRATOR_FOO: '1' })));
    expect(error.message).toBe(`${layer}: unknown variable MIGRATOR_FOO`);
    expect(error.hint).toContain('MIGRATOR_URL');
  });

  it('an unknown variable in a real --dotenv file is named with that file', async () => {
    const dir = project({ 'config/dev.env': '# dev settings\nMIGRATOR_LOCK_TIMOUT=10s\n' });
    const dotenv = await loadDotenv(dir, 'config/dev.env');
    expect(dotenv?.file).toBe(path.join('config', 'dev.env'));
    const error = configError(() => resolveConfig({ dotenv, env: {}, flags: {} }));
    expect(error.message).toBe(`${path.join('config', 'dev.env')}: unknown variable MIGRATOR_LOCK_TIMOUT`);
  });

  it('MIGRATOR_TEST_* and MIGRATOR_ENV are not keys and not errors, in the environment or in .env', () => {
    const variables = { MIGRATOR_TEST_X: 'anything', MIGRATOR_TEST_FAULT: 'commit.before' };
    const resolved = resolveConfig({ dotenv: dotenvOf(variables), env: { ...variables, MIGRATOR_ENV: '' }, flags: {} });
    expect(resolved.config).toEqual(resolveConfig({ env: {}, flags: {} }).config);
  });

  it('variables that do not start with MIGRATOR_ are ignored', () => {
    const resolved = resolveConfig({ env: { MIGRATORX: '1', PATH: '/bin', HOME: '/root' }, flags: {} });
    expect(resolved.config.url).toBe('sqlite:./migrator.db');
  });
});

// ---------------------------------------------------------------------------------------------
// Isolation of environments
// ---------------------------------------------------------------------------------------------

const ISOLATION_YAML = `
url: sqlite:./base.db
lock:
  timeout: 1m
environments:
  a:
    migrations:
      dirs:
        - db/\${env:ONLY_A}
    execution:
      lockRetries: 9
  b:
    url: postgres://app@db-b:5432/\${env:ONLY_B}
    actor: deploy-\${env:ONLY_B}
    password:
      command: vault read -field=password secret/\${env:ONLY_B}
      timeout: 3s
    lock:
      timeout: 3m
`;

describe('environments are isolated', () => {
  async function isolationFile(): Promise<FileConfig> {
    const file = await loadConfigFile(project({ [FILE]: ISOLATION_YAML }), undefined);
    if (!file) throw new Error('the config file was not found');
    return file;
  }

  it('selecting a gives none of b\'s values, and ignores the ${env:ONLY_B} only b needs', async () => {
    const file = await isolationFile();
    const { config, origins } = resolveConfig({ file, env: { ONLY_A: 'alpha' }, flags: {}, environment: 'a' });
    expect(config.url).toBe('sqlite:./base.db');
    expect(origins.get('url')).toBe(`file ${FILE}`);
    expect(config.actor).toBeUndefined();
    expect(config.password).toBeUndefined();
    expect(config.lock.timeoutMs).toBe(60_000);
    expect(origins.get('lock.timeout')).toBe(`file ${FILE}`);
    expect(config.migrations.dirs).toEqual(['db/alpha']);
    expect(config.execution.lockRetries).toBe(9);
    expect(origins.get('execution.lockRetries')).toBe(`file ${FILE} (environments.a)`);
  });

  it('selecting b gives none of a\'s values, and ignores the ${env:ONLY_A} only a needs', async () => {
    const file = await isolationFile();
    const { config, origins } = resolveConfig({ file, env: { ONLY_B: 'bravo' }, flags: {}, environment: 'b' });
    expect(config.url).toBe('postgres://app@db-b:5432/bravo');
    expect(config.actor).toBe('deploy-bravo');
    expect(config.password).toEqual({ kind: 'command', command: 'vault read -field=password secret/bravo', timeoutMs: 3000 });
    expect(config.lock.timeoutMs).toBe(180_000);
    expect(config.migrations.dirs).toEqual(['migrations']);
    expect(origins.get('migrations.dirs')).toBe('defaults');
    expect(config.execution.lockRetries).toBe(3);
    expect(origins.get('execution.lockRetries')).toBe('defaults');
  });

  it('selecting neither reads only the top level, with both variables unset', async () => {
    const { config } = resolveConfig({ file: await isolationFile(), env: {}, flags: {} });
    expect(config).toMatchObject({ url: 'sqlite:./base.db', environment: 'default', migrations: { dirs: ['migrations'] } });
    expect(config.actor).toBeUndefined();
  });

  it.each([
    { selected: 'b', variable: 'ONLY_B', key: 'url', env: { ONLY_A: 'alpha' } },
    { selected: 'a', variable: 'ONLY_A', key: 'migrations.dirs', env: { ONLY_B: 'bravo' } },
  ])('selecting $selected with $variable unset fails naming $variable, the key and the block', async ({ selected, variable, key, env }) => {
    const file = await isolationFile();
    const error = configError(() => resolveConfig({ file, env, flags: {}, environment: selected }));
    expect(error.message).toContain(variable);
    expect(error.message).toContain(`${key} (set by file ${FILE} (environments.${selected}))`);
  });

  const B_ONLY: ReadonlyArray<{ key: string; block: Block }> = [
    { key: 'url', block: { url: 'postgres://app@db/${env:ONLY_B}' } },
    { key: 'actor', block: { actor: '${env:ONLY_B}' } },
    { key: 'password', block: { password: '${env:ONLY_B}' } },
    { key: 'password', block: { password: { file: '/run/secrets/${env:ONLY_B}' } } },
    { key: 'password', block: { password: { command: 'op read op://vault/${env:ONLY_B}/password' } } },
    { key: 'migrations.dirs', block: { migrations: { dirs: ['db', 'db-${env:ONLY_B}'] } } },
  ];
  it.each(B_ONLY)('b\'s $key refers to ONLY_B: a is unaffected, b fails naming ONLY_B and $key', ({ key, block }) => {
    const file = fileWith({}, { a: {}, b: block });
    const a = resolveConfig({ file, env: {}, flags: {}, environment: 'a' });
    expect(a.config).toEqual({ ...resolveConfig({ env: {}, flags: {} }).config, environment: 'a' });
    const error = configError(() => resolveConfig({ file, env: {}, flags: {}, environment: 'b' }));
    expect(error.message).toContain(`${key} (set by file ${FILE} (environments.b))`);
    expect(error.message).toContain('ONLY_B');
  });

  it('an invalid password.timeout in b only fails when b is selected', () => {
    const file = fileWith({}, { a: {}, b: { password: { command: 'echo x', timeout: 'soon' } } });
    expect(() => resolveConfig({ file, env: {}, flags: {}, environment: 'a' })).not.toThrow();
    const error = configError(() => resolveConfig({ file, env: {}, flags: {}, environment: 'b' }));
    expect(error.message).toContain('environments.b');
    expect(error.message).toContain('"soon"');
  });
});

// ---------------------------------------------------------------------------------------------
// Interpolation
// ---------------------------------------------------------------------------------------------

describe('${env:NAME} interpolation', () => {
  const env = { DB_USER: 'app', DB_HOST: 'db.internal', DB_NAME: 'orders', SECRETS: '/run/secrets', VAULT_PATH: 'secret/orders' };

  it.each<{ name: string; block: Block; read: (c: Config) => unknown; expected: unknown }>([
    { name: 'several references in one value', block: { url: 'postgres://${env:DB_USER}@${env:DB_HOST}:5432/${env:DB_NAME}?application_name=${env:DB_USER}' }, read: (c) => c.url, expected: 'postgres://app@db.internal:5432/orders?application_name=app' },
    { name: 'list entries', block: { migrations: { dirs: ['db/${env:DB_NAME}', 'db/common', '${env:DB_NAME}-${env:DB_USER}'] } }, read: (c) => c.migrations.dirs, expected: ['db/orders', 'db/common', 'orders-app'] },
    { name: 'the password file path', block: { password: { file: '${env:SECRETS}/${env:DB_NAME}.pw' } }, read: (c) => c.password, expected: { kind: 'file', path: '/run/secrets/orders.pw' } },
    { name: 'the password command', block: { password: { command: 'vault kv get -field=pw ${env:VAULT_PATH}' } }, read: (c) => c.password, expected: { kind: 'command', command: 'vault kv get -field=pw secret/orders', timeoutMs: 10_000 } },
    { name: 'a literal password', block: { password: 'pre-${env:DB_NAME}-post' }, read: (c) => c.password, expected: { kind: 'literal', value: 'pre-orders-post' } },
    { name: 'actor', block: { actor: 'ci:${env:DB_USER}' }, read: (c) => c.actor, expected: 'ci:app' },
    { name: 'text that is not a reference', block: { actor: '$DB_USER ${DB_USER} ${env:} ${ENV:DB_USER}' }, read: (c) => c.actor, expected: '$DB_USER ${DB_USER} ${env:} ${ENV:DB_USER}' },
  ])('$name', ({ block, read, expected }) => {
    expect(read(resolveConfig({ file: fileWith(block), env, flags: {} }).config)).toEqual(expected);
  });

  it('looks variables up in the environment first, then in .env', () => {
    const file = fileWith({ url: 'postgres://${env:DB_USER}@${env:DB_HOST}/x' });
    const resolved = resolveConfig({ file, dotenv: dotenvOf({ DB_USER: 'from-dotenv', DB_HOST: 'dotenv-host' }), env: { DB_USER: 'from-env' }, flags: {} });
    expect(resolved.config.url).toBe('postgres://from-env@dotenv-host/x');
    // The value is still the file's: interpolation does not move a key to another layer.
    expect(resolved.origins.get('url')).toBe(`file ${FILE}`);
  });

  it.each<{ name: string; file: FileConfig; environment?: string; key: string; layer: string }>([
    { name: 'url at the top level', file: fileWith({ url: 'postgres://${env:DB_USER}@${env:MISSING_HOST}/x' }), key: 'url', layer: `file ${FILE}` },
    { name: 'a list entry', file: fileWith({ migrations: { dirs: ['ok', '${env:MISSING_HOST}'] } }), key: 'migrations.dirs', layer: `file ${FILE}` },
    { name: 'the password file path', file: fileWith({ password: { file: '${env:MISSING_HOST}/pw' } }), key: 'password', layer: `file ${FILE}` },
    { name: 'the password command', file: fileWith({ password: { command: 'echo ${env:MISSING_HOST}' } }), key: 'password', layer: `file ${FILE}` },
    { name: 'actor in an environment block', file: fileWith({}, { prod: { actor: '${env:MISSING_HOST}' } }), environment: 'prod', key: 'actor', layer: `file ${FILE} (environments.prod)` },
  ])('an unset variable in $name: E_CONFIG naming the variable, the key and the layer', ({ file, environment, key, layer }) => {
    const error = configError(() => resolveConfig({ file, env, flags: {}, environment }));
    expect(error.message).toBe(`${key} (set by ${layer}): \${env:MISSING_HOST} refers to MISSING_HOST, which is not set`);
    expect(error.hint).toContain('MISSING_HOST');
  });

  it('is not applied to variables or flags (their values are taken as given)', () => {
    const resolved = resolveConfig({ env: { MIGRATOR_ACTOR: '${env:DB_USER}' }, flags: { url: 'sqlite:./${env:DB_NAME}.db' } });
    expect(resolved.config.actor).toBe('${env:DB_USER}');
    expect(resolved.config.url).toBe('sqlite:./${env:DB_NAME}.db');
  });
});

// ---------------------------------------------------------------------------------------------
// describeConfig (what `migrate config` prints)
// ---------------------------------------------------------------------------------------------

describe('safety keys: what the config file sets may be tightened above it, never loosened', () => {
  it.each([
    { name: 'MIGRATOR_PROTECTED=false in the environment', inputs: { env: { MIGRATOR_PROTECTED: 'false' }, flags: {} } },
    { name: 'MIGRATOR_PROTECTED=0 in .env', inputs: { dotenv: dotenvOf({ MIGRATOR_PROTECTED: '0' }), env: {}, flags: {} } },
  ])('$name cannot turn off protected: true from the file (E_CONFIG naming both)', ({ inputs }) => {
    const error = configError(() => resolveConfig({ file: fileWith({ protected: true }), ...inputs }));
    expect(error.message).toMatch(/^protected \(set by (environment|\.env), MIGRATOR_PROTECTED\): "false" would loosen "protected: true" set by the config file migrator\.config\.yaml/);
    expect(error.hint).toContain('may only tighten');
  });

  it('MIGRATOR_ROLLBACK=enabled cannot re-enable rollback: disabled from an environment block', () => {
    const error = configError(() => resolveConfig({ file: fileWith({}, { prod: { rollback: 'disabled' } }), env: { MIGRATOR_ROLLBACK: 'enabled' }, flags: {}, environment: 'prod' }));
    expect(error.message).toContain('"enabled" would loosen "rollback: disabled" set by the config file migrator.config.yaml (environments.prod)');
  });

  it('MIGRATOR_BACKUP_COMMAND cannot replace the backup.command of the file, but may set one where the file has none', () => {
    const error = configError(() => resolveConfig({ file: fileWith({ backup: { command: './backup.sh' } }), env: { MIGRATOR_BACKUP_COMMAND: 'true' }, flags: {} }));
    expect(error.message).toBe('backup.command (set by environment, MIGRATOR_BACKUP_COMMAND) would replace the backup.command the config file sets');
    expect(resolveConfig({ file: fileWith({}), env: { MIGRATOR_BACKUP_COMMAND: './backup.sh' }, flags: {} }).config.backup.command).toBe('./backup.sh');
  });

  it('tightening from any layer is fine, and so is an environment block loosening the file\'s top level', () => {
    expect(resolveConfig({ env: { MIGRATOR_PROTECTED: 'true', MIGRATOR_ROLLBACK: 'disabled' }, flags: {} }).config).toMatchObject({ protected: true, rollback: 'disabled' });
    expect(resolveConfig({ file: fileWith({ protected: false }), env: { MIGRATOR_PROTECTED: 'true' }, flags: {} }).config.protected).toBe(true);
    const dev = resolveConfig({ file: fileWith({ protected: true, rollback: 'disabled' }, { dev: { protected: false, rollback: 'enabled' } }), env: {}, flags: {}, environment: 'dev' });
    expect(dev.config).toMatchObject({ protected: false, rollback: 'enabled' });
    expect(resolveConfig({ file: fileWith({ protected: true }), env: { MIGRATOR_PROTECTED: 'true' }, flags: {} }).config.protected).toBe(true);
  });
});

describe('describeConfig', () => {
  const SECRET = 'Sup3r-s3cret-literal';

  it('lists every key in table order with its display value and the layer that set it', () => {
    const resolved = resolveConfig({
      file: fileWith({ url: 'sqlite:./file.db', password: SECRET, lock: { timeout: 90 }, migrations: { dirs: ['db/a', 'db/b'] }, metrics: { port: 9464 } }, { prod: { actor: 'release-bot', metrics: { file: '/var/lib/node_exporter/migrator.prom' } } }),
      dotenv: dotenvOf({ MIGRATOR_EXECUTION_LOCK_RETRIES: '7' }),
      env: { DATABASE_URL: 'postgres://app:hunter22@db.internal:5432/orders?sslmode=require', MIGRATOR_METRICS_PUSHGATEWAY: 'https://pusher:gw-pa55word@gateway:9091' },
      flags: { 'log.level': 'debug' },
      environment: 'prod',
    });
    const entries = describeConfig(resolved);
    expect(entries.map((e) => e.key)).toEqual(KEYS.map((s) => s.key));
    expect(Object.fromEntries(entries.map((e) => [e.key, [e.value, e.from]]))).toEqual({
      url: ['postgres://app:***@db.internal:5432/orders?sslmode=require', 'environment'],
      password: ['*** (given in the configuration)', `file ${FILE}`],
      'migrations.dirs': ['db/a, db/b', `file ${FILE}`],
      'migrations.layout': ['flyway', 'defaults'],
      order: ['strict', 'defaults'],
      'lock.timeout': ['90s', `file ${FILE}`],
      'lock.strategy': ['advisory', 'defaults'],
      'execution.lockTimeout': ['5s', 'defaults'],
      'execution.statementTimeout': [undefined, undefined],
      'execution.lockRetries': ['7', DOTENV],
      actor: ['release-bot', `file ${FILE} (environments.prod)`],
      'log.level': ['debug', 'flags'],
      protected: ['false', 'defaults'],
      rollback: ['enabled', 'defaults'],
      roles: [undefined, undefined],
      'backup.command': [undefined, undefined],
      'backup.timeout': ['1h', 'defaults'],
      'hooks.beforeMigrate': [undefined, undefined],
      'hooks.beforeEachMigrate': [undefined, undefined],
      'hooks.afterEachMigrate': [undefined, undefined],
      'hooks.afterMigrate': [undefined, undefined],
      'hooks.afterMigrateError': [undefined, undefined],
      'hooks.module': [undefined, undefined],
      'hooks.timeout': ['5m', 'defaults'],
      'rehearsal.scratchUrl': [undefined, undefined],
      placeholders: [undefined, undefined],
      'metrics.file': ['/var/lib/node_exporter/migrator.prom', `file ${FILE} (environments.prod)`],
      'metrics.pushgateway': ['https://pusher:***@gateway:9091', 'environment'],
      'metrics.port': ['9464', `file ${FILE}`],
    });
    const printed = JSON.stringify(entries);
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain('hunter22');
    expect(printed).not.toContain('gw-pa55word');
  });

  it.each<{ name: string; password: NonNullable<Block['password']>; shown: string; hidden: string }>([
    { name: 'a literal', password: SECRET, shown: '*** (given in the configuration)', hidden: SECRET },
    { name: 'a file', password: { file: 'secrets/db.pw' }, shown: '*** (read from secrets/db.pw)', hidden: SECRET },
    { name: 'a command', password: { command: `printf ${SECRET}`, timeout: '30s' }, shown: '*** (printed by a command, 30s timeout)', hidden: SECRET },
  ])('shows the password from $name as *** with its kind, never the value or the command', ({ password, shown, hidden }) => {
    const entries = describeConfig(resolveConfig({ file: fileWith({ password }), env: {}, flags: {} }));
    expect(entries.find((e) => e.key === 'password')).toEqual({ key: 'password', value: shown, from: `file ${FILE}` });
    expect(JSON.stringify(entries)).not.toContain(hidden);
  });

  it('shows MIGRATOR_PASSWORD as *** and a URL\'s query password redacted', () => {
    const entries = describeConfig(resolveConfig({ env: { MIGRATOR_PASSWORD: SECRET, MIGRATOR_URL: 'postgres://db/x?user=app&password=qwerty123' }, flags: {} }));
    expect(entries.find((e) => e.key === 'password')).toEqual({ key: 'password', value: '*** (given in the configuration)', from: 'environment' });
    expect(entries.find((e) => e.key === 'url')?.value).toBe('postgres://db/x?user=app&password=***');
    expect(JSON.stringify(entries)).not.toMatch(new RegExp(`${SECRET}|qwerty123`));
  });
});
