/**
 * The safety keys `protected` and `rollback`: what the config file sets, `.env` and environment
 * variables may tighten but never loosen. A stray MIGRATOR_PROTECTED=false must not take the guard
 * rails off: every command then exits 3 (E_CONFIG) naming the layer that tried and the config file
 * it contradicts, and changes nothing. The file itself (an environment block) may set either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, STACK_FRAME, appliedVersions, unexpectedStderr, type CliResult } from './helpers.js';

const show = (result: CliResult): string => `exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

function project(onTestFinished: (fn: () => void) => void, config: string, files: Record<string, string> = {}): Project {
  const p = new Project({ onTestFinished });
  p.write('V1__a.sql', '-- migrate:up\nCREATE TABLE a (x INTEGER);\n-- migrate:down\nDROP TABLE a;\n');
  fs.writeFileSync(path.join(p.dir, 'migrator.config.yaml'), config);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(p.dir, name), text);
  return p;
}

/** Every command that loads the configuration, read-only and writing alike. */
const COMMANDS: ReadonlyArray<ReadonlyArray<string>> = [
  ['status'],
  ['status', '--json'],
  ['validate'],
  ['up'],
  ['up', '--dry-run'],
  ['down', '--confirm', 'prod', '--reason', 'test'],
  ['repair', '--confirm', 'prod', '--reason', 'test'],
  ['baseline', '--version', '1', '--confirm', 'prod', '--reason', 'test'],
  ['config'],
  ['lint'],
  ['create', 'b'],
  ['hash'],
];

interface LoosenCase {
  readonly name: string;
  readonly config: string;
  readonly files?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly args: ReadonlyArray<string>;
  /** The `error[E_CONFIG]: ...` line, exactly. */
  readonly message: string;
}

const LOOSEN: ReadonlyArray<LoosenCase> = [
  {
    name: 'MIGRATOR_PROTECTED=false against a top-level protected: true',
    config: 'protected: true\n',
    env: { MIGRATOR_PROTECTED: 'false' },
    args: [],
    message: 'protected (set by environment, MIGRATOR_PROTECTED): "false" would loosen "protected: true" set by the config file migrator.config.yaml',
  },
  {
    name: 'MIGRATOR_PROTECTED=0 against environments.prod.protected: true',
    config: 'environments:\n  prod:\n    protected: true\n  dev: {}\n',
    env: { MIGRATOR_PROTECTED: '0' },
    args: ['--env', 'prod'],
    message: 'protected (set by environment, MIGRATOR_PROTECTED): "false" would loosen "protected: true" set by the config file migrator.config.yaml (environments.prod)',
  },
  {
    name: 'MIGRATOR_PROTECTED=false in .env',
    config: 'environments:\n  prod:\n    protected: true\n',
    files: { '.env': 'MIGRATOR_PROTECTED=false\n' },
    args: ['--env', 'prod'],
    message: 'protected (set by .env, MIGRATOR_PROTECTED): "false" would loosen "protected: true" set by the config file migrator.config.yaml (environments.prod)',
  },
  {
    name: 'MIGRATOR_ROLLBACK=enabled against rollback: disabled',
    config: 'rollback: disabled\n',
    env: { MIGRATOR_ROLLBACK: 'enabled' },
    args: [],
    message: 'rollback (set by environment, MIGRATOR_ROLLBACK): "enabled" would loosen "rollback: disabled" set by the config file migrator.config.yaml',
  },
];

describe.concurrent('safety keys cannot be loosened from outside the config file', () => {
  it.for(LOOSEN)('$name: every command exits 3 naming both layers, and changes nothing', { timeout: 60_000 }, async (loosen, { expect, onTestFinished }) => {
    const p = project(onTestFinished, loosen.config, loosen.files);
    const before = p.listing();
    for (const command of COMMANDS) {
      const result = await p.run([...command, ...loosen.args], { env: loosen.env ?? {} });
      const what = `migrate ${command.join(' ')}\n${show(result)}`;
      expect(result.code, what).toBe(EXIT.config);
      expect(/^error\[E_CONFIG\]: .*$/m.exec(result.stderr)?.[0], what).toBe(`error[E_CONFIG]: ${loosen.message}`);
      expect(result.stderr, what).toMatch(/^ {2}hint: .*may only tighten the safety keys protected and rollback/m);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(unexpectedStderr(result.stderr), what).toEqual([]);
      if (command.includes('--json')) expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'E_CONFIG' } });
    }
    expect(p.listing(), 'no database, migration file or migrator.sum appeared').toEqual(before);
  });

  it('the same layers may tighten: MIGRATOR_PROTECTED=true makes down need --confirm', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished, 'protected: false\n');
    expect((await p.run(['up'])).code).toBe(EXIT.ok);
    const denied = await p.run(['down'], { env: { MIGRATOR_PROTECTED: 'true' } });
    expect(denied.code, show(denied)).toBe(EXIT.notPermitted);
    expect(denied.stderr).toContain('is a protected environment: "down" needs --confirm');
    p.withDb((db) => expect(appliedVersions(db)).toEqual(['1']));
    // Control: without the variable, the file's protected: false lets it through.
    const allowed = await p.run(['down']);
    expect(allowed.code, show(allowed)).toBe(EXIT.ok);
    p.withDb((db) => expect(appliedVersions(db)).toEqual([]));
  });

  it('within the file an environment block may set it either way; the variable then agrees with the file', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished, 'protected: true\nenvironments:\n  dev:\n    protected: false\n  prod: {}\n');
    const dev = await p.run(['status', '--env', 'dev'], { env: { MIGRATOR_PROTECTED: 'false' } });
    expect(dev.code, show(dev)).toBe(EXIT.ok);
    const prod = await p.run(['status', '--env', 'prod'], { env: { MIGRATOR_PROTECTED: 'false' } });
    expect(prod.code, show(prod)).toBe(EXIT.config);
    expect(prod.stderr).toContain('would loosen "protected: true" set by the config file migrator.config.yaml');
  });
});
