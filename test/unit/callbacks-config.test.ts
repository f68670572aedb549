/**
 * Callback files (their names, how the loader reads them) and hook configuration (the hooks.* keys,
 * config file only) and the environment a hook command gets (no secrets).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileConfig } from '../../src/config/file.js';
import { loadConfigFile } from '../../src/config/file.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { MigratorError } from '../../src/core/errors.js';
import type { HookContext } from '../../src/core/run/callbacks.js';
import { callbackEvent, callbackEventOf } from '../../src/core/source/callback-names.js';
import { parseFileName } from '../../src/core/source/filenames.js';
import { loadMigrations } from '../../src/core/source/loader.js';
import { hookEnvironment } from '../../src/cli/hooks.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'migrator-callbacks-'));
  dirs.push(cwd);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true });
    writeFileSync(path.join(cwd, name), text);
  }
  return cwd;
}

describe('callback file names', () => {
  it.each([
    ['beforeMigrate.sql', 'beforeMigrate'],
    ['afterEachMigrate__audit_log.sql', 'afterEachMigrate'],
    ['afterMigrateError.sql', 'afterMigrateError'],
    ['beforeEachUndo.sql', 'beforeEachUndo'],
    ['afterUndoError.sql', 'afterUndoError'],
  ])('%s is a callback for %s, not a migration', (name, event) => {
    expect(callbackEventOf(name)).toBe(event);
    expect(parseFileName(name)).toEqual({ kind: 'callback', event });
  });

  it.each(['BeforeMigrate.sql', 'beforeMigrate.SQL', 'beforeMigrate_x.sql', 'beforeMigrate.ts', 'afterMigrateErrors.sql'])('%s is not a callback', (name) => {
    expect(callbackEventOf(name)).toBeUndefined();
  });

  it('maps phase and direction to the Flyway name', () => {
    expect(callbackEvent('before', 'up')).toBe('beforeMigrate');
    expect(callbackEvent('afterEach', 'down')).toBe('afterEachUndo');
    expect(callbackEvent('afterError', 'up')).toBe('afterMigrateError');
    expect(callbackEvent('afterError', 'down')).toBe('afterUndoError');
  });
});

describe('loading callbacks with the migrations', () => {
  it('reads callbacks apart from migrations, in file-name order across directories', async () => {
    const cwd = project({
      'migrations/V1__one.sql': 'CREATE TABLE one (id int);',
      'migrations/beforeMigrate__b.sql': 'SELECT 2;',
      'more/beforeMigrate.sql': 'SELECT 1;\nSELECT 11;',
      'migrations/afterMigrate.sql': '-- migrate:transaction off\nVACUUM;',
    });
    const result = await loadMigrations({ dirs: ['migrations', 'more'], syntax: sqliteSyntax, cwd });
    expect(result.problems).toEqual([]);
    expect(result.migrations.map((m) => m.id)).toEqual(['1']);
    expect(result.callbacks.map((c) => `${c.event} ${c.file} ${c.script.statements.length}`)).toEqual([
      'afterMigrate migrations/afterMigrate.sql 1',
      'beforeMigrate more/beforeMigrate.sql 2',
      'beforeMigrate migrations/beforeMigrate__b.sql 1',
    ]);
    expect(result.callbacks[0]?.script.transactional).toBe(false);
    expect(result.callbacks[0]?.checksum).toMatch(/^sha256v1:[0-9a-f]{64}$/);
  });

  it('reports a parse error in a callback with its file:line', async () => {
    const cwd = project({ 'migrations/beforeMigrate.sql': "SELECT 1;\nSELECT 'open;" });
    const result = await loadMigrations({ dirs: ['migrations'], syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => [p.code, p.at])).toEqual([['E_PARSE', { file: 'migrations/beforeMigrate.sql', line: 2, column: 8 }]]);
  });

  it('still rejects a misspelt callback name as a bad migration name', async () => {
    const cwd = project({ 'migrations/BeforeMigrate.sql': 'SELECT 1;' });
    const result = await loadMigrations({ dirs: ['migrations'], syntax: sqliteSyntax, cwd });
    expect(result.problems.map((p) => p.code)).toEqual(['E_FILE_NAME']);
    expect(result.callbacks).toEqual([]);
  });
});

const FILE = 'migrator.config.yaml';
const fileWith = (base: FileConfig['base'], environments: FileConfig['environments'] = {}): FileConfig => ({ file: FILE, base, environments });

describe('hooks configuration', () => {
  it('defaults: no hooks, a 5 minute timeout', () => {
    expect(resolveConfig({ env: {}, flags: {} }).config.hooks).toEqual({ timeoutMs: 300_000 });
  });

  it('reads commands, module and timeout from the file; an environment block overrides', () => {
    const file = fileWith({ hooks: { beforeMigrate: './notify.sh start', module: './hooks.mjs', timeout: '30s' } }, { prod: { hooks: { beforeMigrate: './notify.sh prod' } } });
    expect(resolveConfig({ file, env: {}, flags: {} }).config.hooks).toEqual({ beforeMigrate: './notify.sh start', module: './hooks.mjs', timeoutMs: 30_000 });
    expect(resolveConfig({ file, env: {}, flags: {}, environment: 'prod' }).config.hooks.beforeMigrate).toBe('./notify.sh prod');
  });

  it('does not interpolate hook commands (the shell expands variables itself)', () => {
    const file = fileWith({ hooks: { afterMigrate: 'echo ${env:HOME} $MIGRATOR_RUN_ID' } });
    expect(resolveConfig({ file, env: {}, flags: {} }).config.hooks.afterMigrate).toBe('echo ${env:HOME} $MIGRATOR_RUN_ID');
  });

  it('no environment variable sets a hook', () => {
    expect(() => resolveConfig({ env: { MIGRATOR_HOOKS_BEFORE_MIGRATE: 'rm -rf /' }, flags: {} })).toThrow(/unknown variable MIGRATOR_HOOKS_BEFORE_MIGRATE/);
  });

  it('refuses an unknown hook name and a bad timeout, naming the key', async () => {
    const cwd = project({ [FILE]: 'hooks:\n  beforeMigrat: ./x.sh\n' });
    await expect(loadConfigFile(cwd, undefined)).rejects.toThrow('migrator.config.yaml: hooks: unknown key "beforeMigrat"');
    const error = (() => {
      try {
        resolveConfig({ file: fileWith({ hooks: { timeout: 'soon' } }), env: {}, flags: {} });
      } catch (caught) {
        return caught as MigratorError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MigratorError);
    expect(error?.message).toBe('hooks.timeout (set by file migrator.config.yaml): "soon" is not a duration');
  });
});

describe('the environment of a hook command', () => {
  const context: HookContext = { hook: 'beforeEachMigrate', runId: 'r-1', environment: 'prod', direction: 'up', actor: 'ci', fromVersion: null, toVersion: '3', migration: { id: '2', version: '2', description: 'add users', file: 'migrations/V2__add_users.sql' }, signal: new AbortController().signal };
  const session = {
    target: 'PostgreSQL postgres://app:***@db/orders',
    io: {
      env: { PATH: '/usr/bin', DATABASE_URL: 'postgres://app:s3cret@db/orders', MIGRATOR_PASSWORD: 'other', APP_DSN: 'postgres://app:s3cret@db/x', HOME: '/home/ci' },
      secrets: { scrub: (text: string) => text.split('s3cret').join('***') },
    },
  } as unknown as Parameters<typeof hookEnvironment>[0];

  it('holds the context, the redacted target, and no variable that carries a secret', () => {
    const env = hookEnvironment(session, context);
    expect(env).toEqual({
      PATH: '/usr/bin', HOME: '/home/ci',
      MIGRATOR_HOOK: 'beforeEachMigrate', MIGRATOR_RUN_ID: 'r-1', MIGRATOR_ENVIRONMENT: 'prod', MIGRATOR_DIRECTION: 'up', MIGRATOR_ACTOR: 'ci',
      MIGRATOR_TARGET: 'PostgreSQL postgres://app:***@db/orders', MIGRATOR_TO_VERSION: '3',
      MIGRATOR_MIGRATION_ID: '2', MIGRATOR_MIGRATION_VERSION: '2', MIGRATOR_MIGRATION_DESCRIPTION: 'add users', MIGRATOR_MIGRATION_FILE: 'migrations/V2__add_users.sql',
    });
  });

  it('gives afterMigrateError the error code and the scrubbed message', () => {
    const env = hookEnvironment(session, { ...context, hook: 'afterMigrateError', migration: undefined, error: { code: 'E_MIGRATION_FAILED', message: 'auth failed for s3cret' } });
    expect(env).toMatchObject({ MIGRATOR_ERROR_CODE: 'E_MIGRATION_FAILED', MIGRATOR_ERROR_MESSAGE: 'auth failed for ***' });
    expect(JSON.stringify(env)).not.toContain('s3cret');
  });
});
