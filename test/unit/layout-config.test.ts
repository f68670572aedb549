/**
 * `migrations.layout` as a configuration key: its default, the config file (top level and an
 * environment block), `.env` and MIGRATOR_MIGRATIONS_LAYOUT, and the errors for a bad value.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, type FileConfig } from '../../src/config/file.js';
import { resolveConfig } from '../../src/config/resolve.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const file = (base: FileConfig['base'], environments: FileConfig['environments'] = {}): FileConfig => ({ file: 'migrator.config.yaml', base, environments });

describe('migrations.layout', () => {
  it('defaults to flyway', () => {
    const resolved = resolveConfig({ env: {}, flags: {} });
    expect(resolved.config.migrations.layout).toBe('flyway');
    expect(resolved.origins.get('migrations.layout')).toBe('defaults');
  });

  it('layers: file < environment block < .env < environment variable', () => {
    const config = file({ migrations: { layout: 'dbmate' } }, { legacy: { migrations: { layout: 'golang-migrate' } } });
    expect(resolveConfig({ file: config, env: {}, flags: {} }).config.migrations.layout).toBe('dbmate');
    expect(resolveConfig({ file: config, env: {}, flags: {}, environment: 'legacy' }).config.migrations.layout).toBe('golang-migrate');
    const dotenv = { file: '.env', variables: { MIGRATOR_MIGRATIONS_LAYOUT: 'flyway' } };
    expect(resolveConfig({ file: config, dotenv, env: {}, flags: {}, environment: 'legacy' }).origins.get('migrations.layout')).toBe('.env');
    const fromEnv = resolveConfig({ file: config, dotenv, env: { MIGRATOR_MIGRATIONS_LAYOUT: 'golang-migrate' }, flags: {} });
    expect([fromEnv.config.migrations.layout, fromEnv.origins.get('migrations.layout')]).toEqual(['golang-migrate', 'environment']);
  });

  it('refuses an unknown layout, naming the key and where it was set (exit 3)', () => {
    expect(() => resolveConfig({ env: { MIGRATOR_MIGRATIONS_LAYOUT: 'goose' }, flags: {} })).toThrow('migrations.layout (set by environment): must be one of: flyway, golang-migrate, dbmate');
  });

  it('is read from a config file, where a bad value names the file and key', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-layout-config-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'migrator.config.yaml'), 'migrations:\n  layout: golang-migrate\n  dirs: [db/migrations]\n');
    const loaded = await loadConfigFile(dir, undefined);
    expect(loaded?.base.migrations).toEqual({ layout: 'golang-migrate', dirs: ['db/migrations'] });
    writeFileSync(path.join(dir, 'migrator.config.yaml'), 'migrations:\n  layout: Flyway\n');
    await expect(loadConfigFile(dir, undefined)).rejects.toThrow(/^migrator\.config\.yaml: migrations\.layout: Invalid option: expected one of "flyway"\|"golang-migrate"\|"dbmate"$/);
  });
});
