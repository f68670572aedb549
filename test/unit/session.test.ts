import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSession, type GlobalOptions } from '../../src/cli/session.js';
import { createSecretRegistry } from '../../src/config/redact.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function session(env: Record<string, string>, globals: GlobalOptions = {}) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'migrator-session-'));
  dirs.push(cwd);
  const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTTY: true, env, cwd, pid: process.pid, signal: new AbortController().signal, secrets: createSecretRegistry() };
  return createSession(globals, io, [], { onFinish: () => undefined });
}

describe('log level on a terminal', () => {
  it('defaults to warn, where the human output already tells the story', async () => {
    expect((await session({})).logger.level).toBe('warn');
  });

  it.each([
    ['MIGRATOR_LOG_LEVEL', { MIGRATOR_LOG_LEVEL: 'info' }, {}],
    ['--log-level', {}, { logLevel: 'info' }],
    ['--verbose', {}, { verbose: true }],
  ])('follows %s when some layer chose a level', async (_name, env, globals) => {
    expect((await session(env, globals)).logger.level).toBe(_name === '--verbose' ? 'debug' : 'info');
  });
});
