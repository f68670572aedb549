/**
 * The live progress line is for a person at a terminal only. Under a pseudo-terminal (util-linux
 * `script`), `up` draws "applying <id>, statement i/N, <elapsed>" on stderr and erases it before each
 * migration's summary line; with stderr a pipe (CI) or with --json, not one control sequence or
 * progress word reaches the output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { BIN, EXIT, Project, cleanEnv } from './helpers.js';

const ERASE = '\r\x1b[2K';
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function project(onTestFinished: (fn: () => void) => void): Project {
  const p = new Project({ onTestFinished });
  p.write('V1__a.sql', '-- migrate:up\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n-- migrate:down\nDROP TABLE a;\n');
  p.write('V2__b.sql', '-- migrate:up\nCREATE TABLE b (id INTEGER);\n-- migrate:down\nDROP TABLE b;\n');
  return p;
}

describe('progress on a terminal only', () => {
  it.skipIf(!hasScript)('under a terminal, up draws statement i/N and erases it before each migration line', ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    // `script` gives the CLI a pseudo-terminal for stdin, stdout and stderr; the typescript goes to /dev/null.
    const output = execFileSync('script', ['-qec', `${BIN} up`, '/dev/null'], { cwd: p.dir, env: cleanEnv(), encoding: 'utf8' });
    expect(output).toContain(`${ERASE}applying 1, statement 1/2, `);
    expect(output).toContain(`${ERASE}applying 2, statement 1/1, `);
    // Erased before the summary line of the migration, which then starts at the line's beginning.
    expect(output).toMatch(/\r\x1b\[2K {2}applied +1 +a /);
    expect(output).toContain('Applied 2 migrations');
    p.withDb((db) => expect(db.prepare('SELECT count(*) FROM a').pluck().get()).toBe(1));
  });

  it('with stderr a pipe, as in CI, and with --json, nothing of it is printed', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    const piped = await p.run(['up']);
    expect(piped.code, piped.stderr).toBe(EXIT.ok);
    const json = await p.run(['down', '--json']);
    expect(json.code, json.stderr).toBe(EXIT.ok);
    for (const text of [piped.stdout, piped.stderr, json.stdout, json.stderr]) {
      expect(text).not.toContain('\x1b[');
      expect(text).not.toMatch(/applying \d|reverting \d|statement \d+\/\d+/);
    }
  });
});
