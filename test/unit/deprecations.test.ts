/**
 * The deprecation registry and `validate --strict-deprecations`, with test-only registry entries
 * passed in as parameters (findDeprecations' registry, the CLI's `io.deprecations`): nothing is
 * deprecated in this release, and nothing is mocked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { argvFlags } from '../../src/cli/deprecations.js';
import { DEPRECATIONS, deprecationProblem, deprecationWarning, findDeprecations, hasDirectiveDeprecations, type Deprecation } from '../../src/core/deprecations.js';
import { ErrorCodes, ExitCode } from '../../src/core/errors.js';
import { main } from '../../src/main.js';

const ORDER_KEY: Deprecation = { kind: 'config-key', name: 'order', since: '0.2.0', removal: '0.4.0', replacement: 'the strict default' };
const LOCK_BLOCK: Deprecation = { kind: 'config-key', name: 'lock', since: '0.2.0', removal: '1.0.0', replacement: 'execution.lock' };
const TIMEOUT_DIRECTIVE: Deprecation = { kind: 'directive', name: 'timeout', since: '0.2.0', removal: '0.4.0', replacement: '"-- migrate:statement-timeout"' };
const DRY_RUN_FLAG: Deprecation = { kind: 'flag', name: '--dry-run', command: 'validate', since: '0.2.0', removal: '0.4.0', replacement: '"migrate plan"' };
const JSON_FLAG: Deprecation = { kind: 'flag', name: '--json', since: '0.2.0', removal: '0.4.0', replacement: '--output json' };

describe('the registry', () => {
  it('deprecates nothing in this release', () => {
    expect(DEPRECATIONS).toEqual([]);
    expect(findDeprecations({ configKeys: [{ key: 'order', from: 'file x' }], flags: [{ flag: '--json', command: 'up' }] })).toEqual([]);
    expect(hasDirectiveDeprecations()).toBe(false);
  });

  it('matches config keys, whole blocks, flags (of one command or any), and directives with their line', () => {
    const uses = findDeprecations({
      configKeys: [{ key: 'order', from: 'file migrator.config.yaml' }, { key: 'lock.timeout', from: 'environment' }, { key: 'url', from: 'flags' }],
      flags: [{ flag: '--dry-run', command: 'validate' }, { flag: '--dry-run', command: 'up' }, { flag: '--json', command: 'status' }],
      files: [{ file: 'migrations/V1__a.sql', text: '-- a\n-- migrate:timeout 30s\nSELECT 1;\n' }, { file: 'migrations/V2__b.sql', text: '-- migrate:transaction off\n' }],
    }, [ORDER_KEY, LOCK_BLOCK, TIMEOUT_DIRECTIVE, DRY_RUN_FLAG, JSON_FLAG]);
    expect(uses.map((u) => [u.what, u.where])).toEqual([
      ['config key "order"', 'file migrator.config.yaml'],
      ['config key "lock.timeout"', 'environment'],
      ['directive "-- migrate:timeout"', 'migrations/V1__a.sql:2'],
      ['option --dry-run of "migrate validate"', 'the command line'],
      ['option --json', 'the command line'],
    ]);
    expect(uses[2]?.at).toEqual({ file: 'migrations/V1__a.sql', line: 2 });
  });

  it('warns in the form DEPRECATION.md promises, and fails strict runs with E_DEPRECATED (exit 5)', () => {
    const [use] = findDeprecations({ configKeys: [{ key: 'order', from: 'file migrator.config.yaml' }] }, [ORDER_KEY]);
    if (!use) throw new Error('expected a use');
    expect(deprecationWarning(use)).toBe('warning[W_DEPRECATED]: config key "order" is deprecated and will be removed in 0.4.0; use the strict default\n  at: file migrator.config.yaml\n');
    const policy = fs.readFileSync(path.join(import.meta.dirname, '../../DEPRECATION.md'), 'utf8');
    expect(policy).toContain('`warning[W_DEPRECATED]: <what> is deprecated and will be removed in <major>; use <replacement>`');
    const problem = deprecationProblem(use);
    expect(problem.code).toBe('E_DEPRECATED');
    expect(ExitCode[ErrorCodes[problem.code]]).toBe(5);
  });

  it('reads the long options and command words of an argv', () => {
    expect(argvFlags(['--env', 'prod', 'validate', '--dry-run', '--log-level=warn', '--', '--not-a-flag'])).toEqual([
      { flag: '--env', command: 'validate' },
      { flag: '--dry-run', command: 'validate' },
      { flag: '--log-level', command: 'validate' },
    ]);
  });
});

describe('migrate validate --strict-deprecations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-deprecations-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'migrations', 'V1__t.sql'), '-- migrate:up\n-- migrate:timeout 30s\nCREATE TABLE t (id INTEGER);\n-- migrate:down\nDROP TABLE t;\n');
    fs.writeFileSync(path.join(dir, 'migrator.config.yaml'), 'order: strict\n');
    return dir;
  }

  async function run(cwd: string, argv: string[], deprecations: ReadonlyArray<Deprecation>): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), stderrIsTTY: false,
      env: {}, cwd, pid: process.pid, signal: new AbortController().signal, deprecations,
    });
    return { code, stdout, stderr };
  }

  it('only warns without the option: exit 0, warnings on stderr, stdout JSON intact', async () => {
    const cwd = project();
    const result = await run(cwd, ['validate', '--json', '--log-level', 'silent'], [ORDER_KEY, TIMEOUT_DIRECTIVE]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning[W_DEPRECATED]: config key "order" is deprecated and will be removed in 0.4.0; use the strict default\n  at: file migrator.config.yaml\n');
    expect(result.stderr).toContain('warning[W_DEPRECATED]: directive "-- migrate:timeout" is deprecated and will be removed in 0.4.0; use "-- migrate:statement-timeout"\n  at: migrations/V1__t.sql:2\n');
    // Once each, though the files are inspected more than once.
    expect(result.stderr.match(/W_DEPRECATED/g)).toHaveLength(2);
    const document = JSON.parse(result.stdout) as { ok: boolean; deprecations: Array<{ name: string }> };
    expect(document.ok).toBe(true);
    expect(document.deprecations.map((d) => d.name)).toEqual(['order', 'timeout']);
  });

  it('fails with exit 5 and one E_DEPRECATED problem per use', async () => {
    const cwd = project();
    const result = await run(cwd, ['validate', '--strict-deprecations', '--dry-run', '--log-level', 'silent'], [ORDER_KEY, TIMEOUT_DIRECTIVE, DRY_RUN_FLAG]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('error[E_DEPRECATED]: config key "order" (file migrator.config.yaml) is deprecated since 0.2.0 and will be removed in 0.4.0');
    expect(result.stderr).toContain('error[E_DEPRECATED]: directive "-- migrate:timeout" (migrations/V1__t.sql:2) is deprecated since 0.2.0');
    expect(result.stderr).toContain('  at: migrations/V1__t.sql:2');
    expect(result.stderr).toContain('error[E_DEPRECATED]: option --dry-run of "migrate validate" (the command line) is deprecated');
    expect(result.stdout).not.toContain('OK:');
  });

  it('matches a flag of one command by the command commander parsed, also after a boolean global option', async () => {
    const cwd = project();
    // `--json` takes no value: "validate" is the command, not the value of --json.
    const result = await run(cwd, ['--json', 'validate', '--strict-deprecations', '--dry-run', '--log-level', 'silent'], [DRY_RUN_FLAG]);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('option --dry-run of \\"migrate validate\\"');
    expect(argvFlags(['--json', 'validate', '--dry-run'], 'validate')).toEqual([{ flag: '--json', command: 'validate' }, { flag: '--dry-run', command: 'validate' }]);
  });

  it('passes when nothing deprecated is used', async () => {
    const cwd = project();
    const result = await run(cwd, ['validate', '--strict-deprecations', '--log-level', 'silent'], DEPRECATIONS);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('OK: 1 migration file valid');
  });
});
