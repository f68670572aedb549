import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, type FileConfig } from '../../src/config/file.js';
import { redactUrl } from '../../src/config/redact.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { MigratorError } from '../../src/core/errors.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('resolveConfig precedence: defaults < file < environment < flags', () => {
  const file: FileConfig = { file: 'migrator.config.yaml', base: { url: 'sqlite:file.db', migrations: { dirs: ['db/migrations'] }, lock: { timeout: '30s' } }, environments: {} };
  it.each([
    { name: 'defaults only', inputs: { env: {}, flags: {} }, url: 'sqlite:./migrator.db', dirs: ['migrations'], timeoutMs: 300_000 },
    { name: 'file over defaults', inputs: { file, env: {}, flags: {} }, url: 'sqlite:file.db', dirs: ['db/migrations'], timeoutMs: 30_000 },
    { name: 'DATABASE_URL over file', inputs: { file, env: { DATABASE_URL: 'sqlite:env.db' }, flags: {} }, url: 'sqlite:env.db', dirs: ['db/migrations'], timeoutMs: 30_000 },
    { name: 'empty DATABASE_URL is unset', inputs: { file, env: { DATABASE_URL: '' }, flags: {} }, url: 'sqlite:file.db', dirs: ['db/migrations'], timeoutMs: 30_000 },
    { name: 'flags over everything', inputs: { file, env: { DATABASE_URL: 'sqlite:env.db' }, flags: { url: 'sqlite:flag.db', 'migrations.dirs': ['a', 'b'], 'lock.timeout': '2s' } }, url: 'sqlite:flag.db', dirs: ['a', 'b'], timeoutMs: 2_000 },
  ])('$name', ({ inputs, url, dirs: expectedDirs, timeoutMs }) => {
    const { config } = resolveConfig(inputs);
    expect(config.url).toBe(url);
    expect(config.migrations.dirs).toEqual(expectedDirs);
    expect(config.lock.timeoutMs).toBe(timeoutMs);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names duration keys as they are written, not by their internal millisecond names', () => {
    const attempt = () => resolveConfig({ file: { ...file, base: { execution: { lockTimeout: '0' } } }, env: {}, flags: {} });
    expect(attempt).toThrow(/^execution\.lockTimeout \(set by file migrator\.config\.yaml\): /);
  });

  it('names the key and the layer that set a bad value', () => {
    const attempt = () => resolveConfig({ file: { ...file, base: { lock: { timeout: 'soon' } } }, env: {}, flags: {} });
    expect(attempt).toThrow(MigratorError);
    expect(attempt).toThrow(/lock\.timeout \(set by file migrator\.config\.yaml\): "soon" is not a duration/);
  });
});

describe('loadConfigFile', () => {
  it('returns undefined when there is no file', async () => {
    expect(await loadConfigFile(project({}), undefined)).toBeUndefined();
  });

  it('reads migrator.config.yaml', async () => {
    const dir = project({ 'migrator.config.yaml': 'url: sqlite:./app.db\nmigrations:\n  dirs: [db]\nlock:\n  timeout: 10s\norder: allow-out-of-order\n' });
    const loaded = await loadConfigFile(dir, undefined);
    expect(loaded?.file).toBe('migrator.config.yaml');
    expect(loaded?.base).toMatchObject({ url: 'sqlite:./app.db', migrations: { dirs: ['db'] }, lock: { timeout: '10s' }, order: 'allow-out-of-order' });
  });

  it('reads package.json#migrator', async () => {
    const dir = project({ 'package.json': JSON.stringify({ name: 'x', migrator: { url: 'sqlite:pkg.db' } }) });
    expect((await loadConfigFile(dir, undefined))?.base.url).toBe('sqlite:pkg.db');
  });

  it('rejects unknown keys, naming the key path and the file', async () => {
    const dir = project({ 'migrator.config.yaml': 'migrations:\n  dir: db\n' });
    await expect(loadConfigFile(dir, undefined)).rejects.toMatchObject({ code: 'E_CONFIG', message: 'migrator.config.yaml: migrations: unknown key "dir"' });
  });

  it('explains a bad environment name', async () => {
    const dir = project({ 'migrator.config.yaml': 'environments:\n  prod eu:\n    actor: x\n' });
    await expect(loadConfigFile(dir, undefined)).rejects.toMatchObject({ code: 'E_CONFIG', message: 'migrator.config.yaml: environments.prod eu: environment names use letters, digits, _ . and -' });
  });

  it('rejects a bad value with its key path', async () => {
    const dir = project({ 'migrator.config.json': JSON.stringify({ order: 'sometimes' }) });
    await expect(loadConfigFile(dir, undefined)).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/^migrator\.config\.json: order: /) });
  });

  it('reports a syntax error in an explicit --config file as E_CONFIG', async () => {
    const dir = project({ 'custom.yaml': 'url: [unclosed\n' });
    await expect(loadConfigFile(dir, 'custom.yaml')).rejects.toMatchObject({ code: 'E_CONFIG' });
  });

  it('reports a missing explicit --config file as E_CONFIG', async () => {
    await expect(loadConfigFile(project({}), 'nope.yaml')).rejects.toMatchObject({ code: 'E_CONFIG' });
  });
});

describe('migrator.config.example.yaml', () => {
  it('loads through the real file layer and gives exactly the defaults it documents', async () => {
    const example = readFileSync(new URL('../../migrator.config.example.yaml', import.meta.url), 'utf8');
    const loaded = await loadConfigFile(project({ 'migrator.config.yaml': example }), undefined);
    expect(loaded).toBeDefined();
    const documented = resolveConfig({ file: loaded, env: {}, flags: {} }).config;
    expect(documented).toEqual(resolveConfig({ env: {}, flags: {} }).config);
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/prod', 'postgres://app:***@db:5432/prod'],
    ['mysql://root@localhost/test', 'mysql://root@localhost/test'],
    ['postgres://app:p%40ss@db/x?sslmode=require', 'postgres://app:***@db/x?sslmode=require'],
    ['sqlite:./migrator.db', 'sqlite:./migrator.db'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});
