/**
 * Finds the `migrate ...` command lines shown in the fenced code blocks of Markdown files, and checks
 * each against the commander program described by describeProgram: the command exists, every option
 * is an option of that command or a global one, and takes a value exactly when it should (checked
 * with the option's own choices and parser when the value is written out).
 */
import type { CommandSpec, OptionSpec } from '../../src/cli/describe-program.js';
import { migrateArguments, shellCommands, type Word } from './shell-words.js';

export interface DocCommand {
  /** `docs/ci.md:139`. */
  readonly where: string;
  /** The line as written (continuations joined). */
  readonly line: string;
  /** A shell command (`$ migrate up`, a line of a `sh` block) or a usage synopsis (`migrate up [--dry-run]`). */
  readonly kind: 'shell' | 'synopsis';
  /** The output shown under it starts with `error[E_USAGE]`: a usage error on purpose. */
  readonly usageError?: boolean;
}

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'zsh', 'console', 'yaml', 'yml', 'dockerfile', 'text', 'none']);
// In these, every line is a command line; in the others only lines after a `$ ` prompt are.
const SCRIPT_FENCES = new Set(['sh', 'bash', 'shell', 'zsh', 'yaml', 'yml']);

/** Every migrate command line in the fenced code blocks of one Markdown file. */
export function docCommands(file: string, markdown: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: { marker: string; lang: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (fence === undefined) {
      if (open) fence = { marker: open[1] ?? '```', lang: (open[2] ?? '').toLowerCase() || 'none' };
      continue;
    }
    if (raw.trim() === fence.marker) {
      fence = undefined;
      continue;
    }
    if (!SHELL_FENCES.has(fence.lang)) continue;
    const start = i;
    let line = raw;
    // `\` at the end of a line continues the command (a `> ` prompt may start the next line).
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      line = `${line.replace(/\\\s*$/, '')} ${(lines[i] ?? '').replace(/^\s*>\s/, '')}`;
    }
    const where = `${file}:${start + 1}`;
    const prompt = /^\s*\$\s+(.*)$/.exec(line);
    if (prompt) {
      const usageError = /^\s*error\[E_USAGE\]/.test(lines[i + 1] ?? '');
      found.push({ where, line: prompt[1] ?? '', kind: 'shell', ...(usageError ? { usageError } : {}) });
    }
    else if (SCRIPT_FENCES.has(fence.lang)) {
      // YAML: the shell part of `run: ...`, `- ...` and `script: ...` lines.
      const shell = fence.lang.startsWith('y') ? line.replace(/^\s*(?:-\s+)?(?:[\w-]+:\s*(?:[|>][-+]?\s*)?)?/, '') : line;
      if (/\bmigrate\b/.test(shell)) found.push({ where, line: shell.trim(), kind: 'shell' });
    } else if (/^\s*migrate\s/.test(line) && fence.lang !== 'console') {
      found.push({ where, line: line.trim(), kind: 'synopsis' });
    }
  }
  return found;
}

interface Walk {
  command: CommandSpec;
  /** The program and the commands entered, outermost first. */
  readonly chain: CommandSpec[];
}

function findOption(walk: Walk, name: string): OptionSpec | undefined {
  // Commander lets the program (then each parent) take its own options wherever they appear.
  for (const command of walk.chain) {
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (option) return option;
  }
  return undefined;
}

function enter(walk: Walk, name: string): boolean {
  const sub = walk.command.commands.find((c) => c.name === name || c.aliases.includes(name));
  if (!sub) return false;
  walk.command = sub;
  walk.chain.push(sub);
  return true;
}

function commandName(walk: Walk): string {
  return walk.command.path.length === 0 ? 'migrate' : `migrate ${walk.command.path.join(' ')}`;
}

function checkValue(option: OptionSpec, value: Word): string | undefined {
  if (value.opaque || /^<.*>$/.test(value.text)) return undefined;
  if (option.choices && !option.choices.includes(value.text)) return `${option.long ?? option.short} ${value.text}: not one of ${option.choices.join(', ')}`;
  const parse = option.option.parseArg;
  if (parse) {
    try {
      parse.call(option.option, value.text, undefined);
    } catch (error) {
      return `${option.long ?? option.short} ${value.text}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** The problems of one argument list given to `migrate`, as readable sentences; `[]` when it parses. */
export function checkArguments(program: CommandSpec, args: ReadonlyArray<Word>): string[] {
  if (args.length === 1 && (args[0]?.text === '--version' || args[0]?.text === '-V')) return [];
  const walk: Walk = { command: program, chain: [program] };
  const problems: string[] = [];
  const operands: Word[] = [];
  let help = false;
  let helpCommand = false;
  let optionsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Word;
    const text = arg.text;
    if (!optionsEnded && text === '--') {
      optionsEnded = true;
    } else if (!optionsEnded && !arg.opaque && /^-./.test(text)) {
      if (text === '-h' || text === '--help') {
        help = true;
        continue;
      }
      const long = text.startsWith('--');
      const name = long ? text.split('=')[0] ?? text : text.slice(0, 2);
      const inline = long ? (text.includes('=') ? text.slice(name.length + 1) : undefined) : text.length > 2 ? text.slice(2) : undefined;
      const option = findOption(walk, name);
      if (!option) {
        problems.push(`${name} is not an option of ${commandName(walk)} nor a global option`);
        continue;
      }
      if (option.arity === 'none' && inline !== undefined) {
        problems.push(`${name} takes no value, but is given "${inline}"`);
        continue;
      }
      if (option.arity === 'none') continue;
      let value: Word | undefined = inline === undefined ? undefined : { text: inline, opaque: arg.opaque };
      const next = args[i + 1];
      if (value === undefined && next !== undefined && (option.arity === 'required' || !next.text.startsWith('-'))) {
        value = next;
        i++;
      }
      if (value === undefined && option.arity === 'required') problems.push(`${option.flags} needs a value, and none follows it`);
      const bad = value === undefined ? undefined : checkValue(option, value);
      if (bad) problems.push(bad);
    } else if (operands.length === 0 && !arg.opaque && enter(walk, text)) {
      continue;
    } else if (walk.command === program && operands.length === 0 && text === 'help') {
      helpCommand = true;
    } else if (helpCommand) {
      if (!arg.opaque && !enter(walk, text)) problems.push(`"migrate help ${text}": ${text} is not a command`);
    } else if (walk.command === program && !arg.opaque) {
      problems.push(`"${text}" is not a command of migrate`);
      return problems;
    } else {
      operands.push(arg);
    }
  }
  if (help || helpCommand) return problems;
  if (walk.command === program) {
    problems.push('no command is given');
    return problems;
  }
  const declared = walk.command.arguments;
  const required = declared.filter((a) => a.required).length;
  const variadic = declared.some((a) => a.variadic);
  if (operands.length < required) problems.push(`${commandName(walk)} needs ${declared.map((a) => `<${a.name}>`).join(' ')}`);
  if (!variadic && operands.length > declared.length && !operands.some((o) => o.opaque)) {
    problems.push(`${commandName(walk)} takes ${declared.length === 0 ? 'no arguments' : `only ${declared.map((a) => `<${a.name}>`).join(' ')}`}, but is given ${operands.map((o) => `"${o.text}"`).join(' ')}`);
  }
  declared.forEach((argument, index) => {
    const operand = operands[index];
    if (argument.choices && operand && !operand.opaque && !argument.choices.includes(operand.text)) {
      problems.push(`<${argument.name}> "${operand.text}" is not one of ${argument.choices.join(', ')}`);
    }
  });
  return problems;
}

/** Checks a synopsis line such as `migrate down [--steps <n> | --to <version>] [--confirm <env>]`: command and option names only. */
export function checkSynopsis(program: CommandSpec, line: string): string[] {
  const words = line.replace(/[[\]|(){}]/g, ' ').split(/\s+/).filter((w) => w !== '').slice(1);
  const walk: Walk = { command: program, chain: [program] };
  const problems: string[] = [];
  let inPath = true;
  for (const word of words) {
    if (inPath && /^[a-z][\w-]*$/.test(word) && enter(walk, word)) continue;
    if (inPath && walk.command === program && /^[a-z][\w-]*$/.test(word) && !['global', 'options', 'command'].includes(word)) {
      problems.push(`"${word}" is not a command of migrate`);
      return problems;
    }
    inPath = false;
    const flag = /^(--?[A-Za-z][\w-]*)(?:\.\.\.)?(?:=.*)?$/.exec(word)?.[1];
    if (flag && flag !== '--help' && flag !== '-h' && !findOption(walk, flag)) problems.push(`${flag} is not an option of ${commandName(walk)} nor a global option`);
  }
  return problems;
}

/** Problems of one documented command line: `[]` when it is fine or does not run migrate. */
export function checkDocCommand(program: CommandSpec, command: DocCommand): string[] {
  if (command.kind === 'synopsis') return checkSynopsis(program, command.line);
  return shellCommands(command.line).flatMap((words) => {
    const args = migrateArguments(words);
    return args === undefined ? [] : checkArguments(program, args);
  });
}
