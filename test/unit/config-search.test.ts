/**
 * loadConfigFile's search without cosmiconfig (config/file.ts, mayHoldConfig): a directory where no
 * config file can be is answered at once, and every directory where one may be still goes through
 * cosmiconfig, with its results and its errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/file.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-config-search-'));
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

describe('loadConfigFile without a config file', () => {
  it.each([
    { name: 'an empty directory', files: {} },
    { name: 'a package.json without a "migrator" key', files: { 'package.json': JSON.stringify({ name: 'app', scripts: { migrate: 'migrate up' } }) } },
    { name: 'an empty package.json', files: { 'package.json': '' } },
    { name: 'a package.json holding an array', files: { 'package.json': '[]' } },
    { name: 'a .config directory without a config of cosmiconfig', files: { '.config/other.json': '{}' } },
  ])('finds none in $name', async ({ files }) => {
    expect(await loadConfigFile(project(files), undefined)).toBeUndefined();
  });
});

describe('loadConfigFile with a config file', () => {
  it.each([
    { name: '.migratorrc (YAML)', files: { '.migratorrc': 'url: sqlite:rc.db\n' }, file: '.migratorrc', url: 'sqlite:rc.db' },
    { name: '.migratorrc.json', files: { '.migratorrc.json': '{"url": "sqlite:rc.db"}' }, file: '.migratorrc.json', url: 'sqlite:rc.db' },
    { name: 'migrator.config.yml next to a package.json', files: { 'package.json': '{"name": "app"}', 'migrator.config.yml': 'url: sqlite:yml.db\n' }, file: 'migrator.config.yml', url: 'sqlite:yml.db' },
    { name: 'package.json#migrator', files: { 'package.json': JSON.stringify({ name: 'app', migrator: { url: 'sqlite:pkg.db' } }) }, file: 'package.json', url: 'sqlite:pkg.db' },
  ])('finds $name', async ({ files, file, url }) => {
    const loaded = await loadConfigFile(project(files), undefined);
    expect(loaded?.file).toBe(file);
    expect(loaded?.base.url).toBe(url);
  });

  it('reports a package.json that is not JSON as cosmiconfig does, naming the file', async () => {
    await expect(loadConfigFile(project({ 'package.json': '{ "name": ' }), undefined)).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/^cannot read package\.json: /) });
  });

  it('loads the file --config names even where no search place exists', async () => {
    const dir = project({ 'conf/db.yaml': 'url: sqlite:named.db\n' });
    expect((await loadConfigFile(dir, 'conf/db.yaml'))?.base.url).toBe('sqlite:named.db');
  });
});
