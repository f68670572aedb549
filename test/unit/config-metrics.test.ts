/**
 * The metrics keys (metrics.file, metrics.pushgateway, metrics.port): their layers, validation that
 * names the key without quoting a URL, and the Pushgateway's password registered as a secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfiguration } from '../../src/config/load.js';
import { createSecretRegistry } from '../../src/config/redact.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { MigratorError } from '../../src/core/errors.js';

const FILE = { file: 'migrator.config.yaml', base: { metrics: { file: 'base.prom', port: 9464 } }, environments: { prod: { metrics: { file: 'prod.prom' } } } };

function configError(attempt: () => unknown): MigratorError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(MigratorError);
    return error as MigratorError;
  }
  throw new Error('expected E_CONFIG');
}

describe('metrics keys', () => {
  it('are unset by default: no metrics output', () => {
    expect(resolveConfig({ env: {}, flags: {} }).config.metrics).toEqual({});
  });

  it('layer like every key: file < environment block < variables < flags', () => {
    const fromFile = resolveConfig({ file: FILE, env: {}, flags: {}, environment: 'prod' });
    expect(fromFile.config.metrics).toEqual({ file: 'prod.prom', port: 9464 });
    expect(fromFile.origins.get('metrics.file')).toBe('file migrator.config.yaml (environments.prod)');
    const fromEnv = resolveConfig({ file: FILE, env: { MIGRATOR_METRICS_FILE: 'env.prom', MIGRATOR_METRICS_PORT: '0', MIGRATOR_METRICS_PUSHGATEWAY: 'http://gw:9091' }, flags: {}, environment: 'prod' });
    expect(fromEnv.config.metrics).toEqual({ file: 'env.prom', port: 0, pushgateway: 'http://gw:9091' });
    const fromFlags = resolveConfig({ file: FILE, env: { MIGRATOR_METRICS_FILE: 'env.prom' }, flags: { 'metrics.file': 'flag.prom', 'metrics.port': 9100, 'metrics.pushgateway': 'https://gw.example' }, environment: 'prod' });
    expect(fromFlags.config.metrics).toEqual({ file: 'flag.prom', port: 9100, pushgateway: 'https://gw.example' });
    expect(fromFlags.origins.get('metrics.port')).toBe('flags');
  });

  it.each([
    ['MIGRATOR_METRICS_PORT', '70000', /^metrics\.port \(set by environment\): must be a port number/],
    ['MIGRATOR_METRICS_PORT', 'http', /^MIGRATOR_METRICS_PORT \(set by environment\): "http" is not a whole number/],
    ['MIGRATOR_METRICS_PUSHGATEWAY', 'gateway.internal:9091', /^metrics\.pushgateway \(set by environment\): must be an http:\/\/ or https:\/\/ URL$/],
    ['MIGRATOR_METRICS_PUSHGATEWAY', 'ftp://user:Secr3t-pw@gw', /^metrics\.pushgateway \(set by environment\): must be an http:\/\/ or https:\/\/ URL$/],
  ])('%s=%s is E_CONFIG naming the key, never quoting a URL', (variable, text, message) => {
    const error = configError(() => resolveConfig({ env: { [variable]: text }, flags: {} }));
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('Secr3t-pw');
  });
});

describe('metrics keys in a config file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const load = (yaml: string, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-metrics-config-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'migrator.config.yaml'), yaml);
    const secrets = createSecretRegistry();
    return { secrets, loading: loadConfiguration({ cwd: dir, env, configFile: undefined, envFile: undefined, environment: undefined, secrets, flags: {} }) };
  };

  it('are read, ${env:...} interpolated, and the Pushgateway password is registered as a secret', async () => {
    const { secrets, loading } = load('metrics:\n  file: ${env:TEXTFILE_DIR}/migrator.prom\n  pushgateway: https://pusher:${env:GW_PASSWORD}@gw:9091\n  port: 9464\n', { TEXTFILE_DIR: '/var/lib/textfile', GW_PASSWORD: 'gw-Pa55word' });
    const { config } = await loading;
    expect(config.metrics).toEqual({ file: '/var/lib/textfile/migrator.prom', pushgateway: 'https://pusher:gw-Pa55word@gw:9091', port: 9464 });
    expect(secrets.scrub('pushing to https://pusher:gw-Pa55word@gw:9091 as gw-Pa55word')).not.toContain('gw-Pa55word');
  });

  it('an unknown metrics key is refused, and the hint lists the metrics keys', async () => {
    const { loading } = load('metrics:\n  textfile: x.prom\n');
    const error = await loading.then(() => undefined, (caught: unknown) => caught as MigratorError);
    expect(error?.message).toBe('migrator.config.yaml: metrics: unknown key "textfile"');
    expect(error?.hint).toContain('metrics.file, metrics.pushgateway, metrics.port');
  });
});
