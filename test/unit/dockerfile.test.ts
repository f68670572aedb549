/**
 * The Dockerfile, without a Docker engine: dockerfilelint (the `lint:docker` script) finds no issue,
 * and its structure keeps the promises of docs/installation.md: a build stage and a small runtime
 * stage on a pinned Node.js major, a non-root user, `migrate` as an exec-form entrypoint, migrations
 * at /migrations reached through the default ./migrations of the working directory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text.replace(/\\\n/g, ' ').split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const all = instructions(dockerfile);
  const stages = all.filter((i) => i.keyword === 'FROM');
  const runtime = all.slice(all.lastIndexOf(stages.at(-1) as Instruction));

  it('passes dockerfilelint (npm run lint:docker)', () => {
    const bin = path.join(ROOT, 'node_modules', '.bin', 'dockerfilelint');
    const result = spawnSync(bin, ['Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout).toContain('Issues: None found');
    expect(result.status).toBe(0);
  });

  it('builds in one stage and runs from another, both on a pinned Node.js major, never "latest"', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.args).toMatch(/^node:20-[\w.-]+(?: AS \w+)?$/i);
      expect(stage.args).not.toMatch(/:latest\b/);
    }
    expect(runtime.filter((i) => i.keyword === 'COPY').every((i) => i.args.startsWith('--from=build '))).toBe(true);
    // The runtime stage installs nothing: no compilers, no package manager runs.
    expect(runtime.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ')).not.toMatch(/apt-get|npm (?:ci|install)/);
  });

  it('runs as a non-root user, with migrate as an exec-form entrypoint', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(?:root|0)(?::|$)/);
    const entrypoint = all.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args ?? '';
    expect(JSON.parse(entrypoint)).toEqual(['node', '/app/bin/migrate']);
    expect(() => JSON.parse(all.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '')).not.toThrow();
  });

  it('works in /work, where ./migrations (the default directory) is the /migrations mount', () => {
    expect(runtime.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args).toBe('/work');
    expect(runtime.find((i) => i.keyword === 'RUN')?.args).toMatch(/ln -s \/migrations \/work\/migrations/);
  });

  it('keeps the build context small with .dockerignore', () => {
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env', 'test']));
  });
});
