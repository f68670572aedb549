/**
 * `migrate completion bash|zsh|fish`: each script names every command and option of the program
 * (generated from it, so new ones are covered); the bash script is sourced in a real bash and
 * driven through COMP_WORDS/COMP_CWORD like readline does; zsh and fish are syntax-checked where
 * installed (skipped, with the reason, where not).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript, SHELLS } from '../../src/cli/completion.js';
import { allCommands, describeProgram, type CommandSpec } from '../../src/cli/describe-program.js';
import { buildProgram } from '../../src/cli/program.js';
import { createSecretRegistry } from '../../src/config/redact.js';
import { main } from '../../src/main.js';

const io = {
  stdout: () => undefined, stderr: () => undefined, stderrIsTTY: false, env: {}, cwd: os.tmpdir(), pid: 1,
  signal: new AbortController().signal, secrets: createSecretRegistry(),
};
const program: CommandSpec = describeProgram(buildProgram(io, []));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-completion-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function installed(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

describe.each(SHELLS)('the %s script', (shell) => {
  const script = completionScript(shell, program, '9.9.9');

  it('names every command, subcommand and option, and the allowed values', () => {
    for (const command of allCommands(program)) {
      expect(script, command.path.join(' ')).toContain(command.name);
      for (const option of command.options) expect(script, option.flags).toContain(shell === 'fish' ? `-l ${option.long?.slice(2)}` : option.long);
    }
    for (const option of program.options) expect(script, option.flags).toContain(shell === 'fish' ? `-l ${option.long?.slice(2)}` : option.long);
    expect(script).toContain('trace debug info warn error fatal silent');
    expect(script).toContain('bash zsh fish');
    expect(script).toContain('migrator 9.9.9');
  });
});

describe('bash', () => {
  const file = path.join(tmp, 'migrate.bash');
  fs.writeFileSync(file, completionScript('bash', program, '0.0.0'));
  fs.mkdirSync(path.join(tmp, 'migrations'));
  fs.writeFileSync(path.join(tmp, 'migrator.config.yaml'), '');

  /** Completes the last word of `words` as bash would after `complete -F _migrate migrate`. */
  function complete(...words: string[]): string[] {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const out = execFileSync('bash', ['-c', `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _migrate; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file], { cwd: tmp, encoding: 'utf8' });
    return out.split('\n').filter((line) => line !== '');
  }

  it('is valid bash and registers _migrate for migrate', () => {
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    expect(execFileSync('bash', ['-c', 'source "$1"; complete -p migrate', 'bash', file], { encoding: 'utf8' }).trim()).toBe('complete -F _migrate migrate');
  });

  it.each([
    [['migrate', ''], [...program.commands.map((c) => c.name), 'help']],
    [['migrate', 'va'], ['validate']],
    [['migrate', 'up', '--d'], ['--dry-run', '--dotenv', '--dir']],
    [['migrate', '--log-level', 'w'], ['warn']],
    [['migrate', '--log-level', '=', 'e'], ['error']],
    [['migrate', '--env', 'prod', 'aud'], ['audit']],
    [['migrate', 'audit', ''], ['verify']],
    [['migrate', 'audit', 'verify', '--an'], ['--anchor']],
    [['migrate', 'doctor', '--for', 'd'], ['down']],
    [['migrate', 'completion', 'z'], ['zsh']],
    [['migrate', '--dir', 'mig'], ['migrations']],
    [['migrate', '--config', 'migrator.c'], ['migrator.config.yaml']],
    [['migrate', 'up', '--target', ''], []],
  ])('completes %j to %j', (words, expected) => {
    expect(complete(...words)).toEqual(expected);
  });
});

describe.each(['zsh', 'fish'] as const)('%s', (shell) => {
  it.skipIf(!installed(shell))(`is valid ${shell} (syntax check; ${shell} is not installed here when skipped)`, () => {
    const file = path.join(tmp, `migrate.${shell}`);
    fs.writeFileSync(file, completionScript(shell, program, '0.0.0'));
    const check = shell === 'zsh' ? spawnSync('zsh', ['-n', file]) : spawnSync('fish', ['--no-execute', file]);
    expect(check.stderr.toString()).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('migrate completion', () => {
  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { ...io, cwd: tmp, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    return { code, stdout, stderr };
  }

  it('prints the script on stdout, without reading a configuration', async () => {
    fs.writeFileSync(path.join(tmp, 'migrator.config.yaml'), 'not: [valid');
    const result = await run(['completion', 'fish']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^# fish completion for migrate/);
    expect(result.stdout).toContain('complete -c migrate -n \'__migrate_at "completion"\' -a \'bash zsh fish\'');
  });

  it('refuses another shell as a usage error (exit 2)', async () => {
    const result = await run(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Allowed choices are bash, zsh, fish");
  });
});
