/**
 * The docs against the program itself (describeProgram over buildProgram, nothing run):
 * 1. every command, option and global option, and every exit code of `migrate --help`, is in
 *    docs/commands.md (each command in its own section, which names every one of its options);
 * 2. every `migrate ...` command line in the fenced code blocks of docs/, README.md and runbooks/
 *    names a real command and only its options (or global ones), each with a value when it needs one.
 * New commands and options are covered as they are added; every gap is listed in one failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allCommands, describeProgram, type CommandSpec } from '../../src/cli/describe-program.js';
import { buildProgram, EXIT_CODES_HELP } from '../../src/cli/program.js';
import { createSecretRegistry } from '../../src/config/redact.js';
import { checkArguments, checkDocCommand, docCommands } from '../support/doc-commands.js';
import { shellCommands } from '../support/shell-words.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function program(): CommandSpec {
  const io = {
    stdout: () => undefined, stderr: () => undefined, stderrIsTTY: false, env: {}, cwd: ROOT, pid: 1,
    signal: new AbortController().signal, secrets: createSecretRegistry(),
  };
  return describeProgram(buildProgram(io, []));
}

function markdownFiles(): string[] {
  const inDir = (dir: string): string[] => fs.existsSync(path.join(ROOT, dir))
    ? fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.md')).sort().map((f) => `${dir}/${f}`)
    : [];
  return [...inDir('docs'), 'README.md', ...inDir('runbooks')];
}

/** `## heading` -> the text up to the next `## ` heading. */
function sections(markdown: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    result.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return result;
}

function mentions(text: string, flag: string): boolean {
  return new RegExp(`(?<![\\w-])${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text);
}

/** The exit codes `migrate --help` lists: each line of its "Exit codes:" block, and "(143 on SIGTERM)". */
export function helpExitCodes(help: string): string[] {
  const block = help.split(/^Exit codes:$/m)[1]?.split(/\n\s*\n/)[0] ?? '';
  const codes = [...block.matchAll(/^ {2}(\d+)\s/gm), ...block.matchAll(/\((\d+) on SIG/g)].map((m) => m[1] ?? '');
  return [...new Set(codes)];
}

describe('docs/commands.md covers the program', () => {
  it('has a section for every command naming each of its options, every global option, and every exit code', () => {
    const spec = program();
    const commandsMd = fs.readFileSync(path.join(ROOT, 'docs/commands.md'), 'utf8');
    const byHeading = sections(commandsMd);
    const gaps: string[] = [];
    const globals = byHeading.get('Global options') ?? '';
    if (!byHeading.has('Global options')) gaps.push('docs/commands.md: no "## Global options" section');
    for (const option of spec.options) {
      for (const flag of [option.long, option.short]) {
        if (flag !== undefined && !mentions(globals, flag)) gaps.push(`global option ${flag} (${option.flags}): not in "## Global options"`);
      }
    }
    for (const command of spec.commands) {
      const section = byHeading.get(command.name);
      if (section === undefined) {
        const options = [command, ...allCommands(command)].flatMap((c) => c.options.map((o) => o.long)).filter((o) => o !== undefined);
        gaps.push(`command "${command.name}": no "## ${command.name}" section${options.length > 0 ? ` (it should name ${options.join(', ')})` : ''}`);
        continue;
      }
      for (const sub of [command, ...allCommands(command)]) {
        const name = sub.path.join(' ');
        if (sub !== command && !mentions(section, name)) gaps.push(`command "${name}": not named in "## ${command.name}"`);
        for (const option of sub.options) {
          if (option.long !== undefined && !mentions(section, option.long)) gaps.push(`option ${option.flags} of "${name}": not in "## ${command.name}"`);
        }
      }
    }
    const exitCodes = byHeading.get('Exit codes') ?? '';
    for (const code of helpExitCodes(EXIT_CODES_HELP)) {
      if (!new RegExp(`^\\|\\s*${code}\\s*\\|`, 'm').test(exitCodes)) gaps.push(`exit code ${code}: no row in the "## Exit codes" table`);
    }
    expect(gaps, `docs/commands.md misses ${gaps.length} item(s) listed by "migrate --help":\n  ${gaps.join('\n  ')}\n`).toEqual([]);
  });

  it('reads the exit codes of the help text', () => {
    expect(helpExitCodes(EXIT_CODES_HELP)).toEqual(expect.arrayContaining(['0', '1', '2', '5', '9', '70', '130', '143']));
  });
});

describe('migrate command lines in the docs', () => {
  it('name real commands and options, with values where they need one', () => {
    const spec = program();
    const problems: string[] = [];
    let checked = 0;
    for (const file of markdownFiles()) {
      for (const command of docCommands(file, fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        checked++;
        // A usage error shown on purpose (`$ migrate ...` then `error[E_USAGE]: ...`) is not checked.
        if (command.usageError) continue;
        for (const problem of checkDocCommand(spec, command)) problems.push(`${command.where}: ${problem}\n      ${command.line}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problems, `${problems.length} documented command line(s) do not parse:\n  ${problems.join('\n  ')}\n`).toEqual([]);
  });
});

describe('the checker itself', () => {
  const spec = program();
  const check = (line: string): string[] => checkDocCommand(spec, { where: 'x', line, kind: 'shell' });

  it.each([
    'migrate up',
    'migrate --env prod status',
    'migrate status --env prod --json',
    'DATABASE_URL=mysql://u@h/app migrate up --log-level warn | tee out.txt',
    'npm install && npx migrate up',
    'migrate validate --dry-run --json --log-level warn > validate.json',
    'migrate lint --json 2>/dev/null | jq -r \'.findings[]\'',
    'migrate up --dir "$RUNNER_TEMP/base/migrations"',
    'migrate down --steps 2',
    'migrate create add users email index',
    'migrate audit verify --anchor abc --anchor def',
    'migrate help up',
    'migrate --version',
    'migrate up --help',
    'docker run --rm -v "$PWD/migrations:/migrations" -e DATABASE_URL migrator up --dry-run',
    'test -f x || { echo "run migrate hash"; exit 1; }',
  ])('accepts %s', (line) => {
    expect(check(line)).toEqual([]);
  });

  it.each([
    ['migrate upp', /"upp" is not a command/],
    ['migrate up --dryrun', /--dryrun is not an option of migrate up/],
    ['migrate up --resume=yes', /--resume takes no value/],
    ['migrate up --target', /--target <version> needs a value/],
    ['migrate --log-level loud status', /--log-level loud: not one of trace/],
    ['migrate down --steps 0', /--steps 0:/],
    ['migrate create', /needs <name>/],
    ['migrate status extra', /takes no arguments/],
    ['FOO=1 npx migrate audit verify --anchors x', /--anchors is not an option of migrate audit verify/],
    ['docker run --rm -e DATABASE_URL migrator stauts', /"stauts" is not a command/],
    ['migrate', /no command/],
  ])('rejects %s', (line, message) => {
    expect(check(line).join('\n')).toMatch(message);
  });

  it('checks synopses by option names', () => {
    expect(checkDocCommand(spec, { where: 'x', line: 'migrate down [--steps <n> | --to <version>] [--dry-run]', kind: 'synopsis' })).toEqual([]);
    expect(checkDocCommand(spec, { where: 'x', line: 'migrate down [--step <n>]', kind: 'synopsis' })).toEqual(['--step is not an option of migrate down nor a global option']);
  });

  it('tokenises like a shell', () => {
    expect(shellCommands(`A=1 migrate up --reason "it's \\"done\\"" 'a b' c\\ d # comment`).map((c) => c.map((w) => w.text)))
      .toEqual([['A=1', 'migrate', 'up', '--reason', 'it\'s "done"', 'a b', 'c d']]);
    expect(shellCommands('a | b && c; d 2>&1 >> log').map((c) => c.map((w) => w.text))).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(shellCommands('migrate up --url "$URL" $(echo x)')[0]?.map((w) => w.opaque)).toEqual([false, false, false, true, true]);
    expect(checkArguments(spec, [{ text: 'up', opaque: false }, { text: '--target', opaque: false }, { text: '$V', opaque: true }])).toEqual([]);
  });

  it('finds command lines in fenced blocks: prompts, script blocks, YAML run steps, continuations, synopses', () => {
    const markdown = [
      'migrate up --outside-a-block',
      '```console', '$ migrate status', 'migrate up --this-is-output', '$ migrate up --x', 'error[E_USAGE]: unknown option', '```',
      '```sh', 'migrate up \\', '  --dry-run', '```',
      '```yaml', 'steps:', '  - run: migrate validate --no-pending', '```',
      '```text', 'migrate down [--steps <n>]', '```',
    ].join('\n');
    expect(docCommands('f.md', markdown)).toEqual([
      { where: 'f.md:3', line: 'migrate status', kind: 'shell' },
      { where: 'f.md:5', line: 'migrate up --x', kind: 'shell', usageError: true },
      { where: 'f.md:9', line: 'migrate up    --dry-run', kind: 'shell' },
      { where: 'f.md:14', line: 'migrate validate --no-pending', kind: 'shell' },
      { where: 'f.md:17', line: 'migrate down [--steps <n>]', kind: 'synopsis' },
    ]);
  });
});
