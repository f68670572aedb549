/**
 * A database this user may not write: a clean E_PRIVILEGE (exit 9), not an internal error. As root
 * (CI here), file permissions do not bind, so the CLI runs as `nobody`; otherwise chmod is enough.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, EXIT, cleanEnv } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(cwd: string, args: string[], asNobody: boolean) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), encoding: 'utf8', ...(asNobody ? { uid: 65534, gid: 65534 } : {}) });
}

describe('SQLite database the user may not write', () => {
  const root = process.getuid?.() === 0;

  it('is E_PRIVILEGE, exit 9, naming the database, and nothing changes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-ro-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'migrations'));
    writeFileSync(path.join(dir, 'migrations', 'V1__t.sql'), 'CREATE TABLE t (x INTEGER);\n');
    expect(run(dir, ['up'], false).status).toBe(EXIT.ok);
    writeFileSync(path.join(dir, 'migrations', 'V2__u.sql'), 'CREATE TABLE u (x INTEGER);\n');
    for (const [file, mode] of [[dir, 0o555], [path.join(dir, 'migrations'), 0o555], [path.join(dir, 'migrator.db'), 0o444], [path.join(dir, 'migrations', 'V1__t.sql'), 0o444], [path.join(dir, 'migrations', 'V2__u.sql'), 0o444]] as const) chmodSync(file, mode);
    try {
      const result = run(dir, ['up'], root);
      expect(result.status, result.stderr).toBe(EXIT.notPermitted);
      expect(result.stderr).toMatch(/^error\[E_PRIVILEGE\]: SQLite .*migrator\.db: cannot write the database/m);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(path.join(dir, 'migrator.db'), 0o644);
    }
    const status = run(dir, ['status', '--json'], false);
    expect(JSON.parse(status.stdout).pending).toBe(1);
  });
});
