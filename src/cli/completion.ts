/**
 * Shell completion scripts for bash, zsh and fish, generated from the program's description
 * (describe-program.ts): commands and subcommands, options (global ones everywhere), the values an
 * option allows (`--log-level`, `doctor --for`), and file or directory names for options whose value
 * is a path. Options that take a value are known by name, whatever the command: an option name never
 * takes a value in one command and none in another.
 */
import { allCommands, type CommandSpec, type OptionSpec } from './describe-program.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What to offer as an option's value. */
type ValueKind = { readonly kind: 'choices'; readonly values: ReadonlyArray<string> } | { readonly kind: 'file' | 'dir' | 'any' };

function valueKind(option: OptionSpec): ValueKind {
  if (option.choices) return { kind: 'choices', values: option.choices };
  if (option.valueName === 'dir') return { kind: 'dir' };
  if (option.valueName !== undefined && /path|file/.test(option.valueName)) return { kind: 'file' };
  return { kind: 'any' };
}

function flagsOf(option: OptionSpec): string[] {
  return [option.short, option.long].filter((f): f is string => f !== undefined);
}

/** The first clause of a description, short enough for a completion menu. */
function summary(text: string): string {
  const first = text.split(/[;(]|: | \(|, e\.g\./)[0]?.trim() ?? '';
  return first.length > 70 ? `${first.slice(0, 67)}...` : first;
}

interface Model {
  readonly program: CommandSpec;
  readonly commands: ReadonlyArray<CommandSpec>;
  /** Every option name that takes a value, in any command. */
  readonly valueOptions: ReadonlyArray<string>;
}

function model(program: CommandSpec): Model {
  const commands = allCommands(program);
  const valueOptions = [...new Set([program, ...commands].flatMap((c) => c.options.filter((o) => o.arity !== 'none').flatMap(flagsOf)))];
  return { program, commands, valueOptions };
}

/** Options of a command as the parser accepts them: its own and its parents' below the program. */
function ownOptions(m: Model, command: CommandSpec): OptionSpec[] {
  const chain = m.commands.filter((c) => c.path.length < command.path.length && c.path.every((p, i) => command.path[i] === p));
  return [...chain, command].flatMap((c) => c.options);
}

function children(command: CommandSpec, program: CommandSpec): string[] {
  return [...command.commands.map((c) => c.name), ...(command === program ? ['help'] : [])];
}

function argumentChoices(command: CommandSpec): string[] {
  return command.arguments.flatMap((a) => a.choices ?? []);
}

const sq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(m: Model, header: string): string {
  const all = [m.program, ...m.commands];
  const caseOf = (lines: string[]): string => lines.map((l) => `    ${l}`).join('\n');
  const words = all.map((c) => `${sq(c.path.join(' '))}) echo ${[...children(c, m.program), ...argumentChoices(c)].join(' ') || "''"} ;;`);
  const options = all.map((c) => `${sq(c.path.join(' '))}) echo ${[...(c === m.program ? [] : ownOptions(m, c)), ...m.program.options].flatMap(flagsOf).join(' ')} --help ;;`);
  const values = [m.program, ...m.commands].flatMap((c) => c.options).filter((o) => o.arity !== 'none').map((o) => {
    const kind = valueKind(o);
    return `${flagsOf(o).join('|')}) echo ${kind.kind === 'choices' ? kind.values.join(' ') : `__${kind.kind}__`} ;;`;
  });
  return `${header}
_migrate_words() {
  case "$1" in
${caseOf(words)}
  esac
}
_migrate_options() {
  case "$1" in
${caseOf(options)}
  esac
}
_migrate_values() {
  case "$1" in
${caseOf([...new Set(values)])}
    *) return 1 ;;
  esac
}
_migrate() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" word sub i skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      -*=*|=) continue ;;
      -*) _migrate_values "$word" >/dev/null && skip=1; continue ;;
    esac
    for sub in $(_migrate_words "$path"); do
      if [[ "$sub" == "$word" ]]; then path="\${path:+$path }$word"; break; fi
    done
  done
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # "--log-level=w": bash splits it at "=" (COMP_WORDBREAKS).
  [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]] && prev="\${COMP_WORDS[COMP_CWORD-2]}"
  local values
  if [[ "$prev" == -* ]] && values="$(_migrate_values "$prev")"; then
    case "$values" in
      __file__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
      __dir__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
      __any__) COMPREPLY=() ;;
      *) COMPREPLY=($(compgen -W "$values" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_migrate_options "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_migrate_words "$path")" -- "$cur"))
  fi
}
complete -F _migrate migrate
`;
}

/** `'(-c --config)'{-c,--config}'[config file]:path:_files'` and the like, for _arguments. */
function zshSpec(option: OptionSpec): string {
  const flags = flagsOf(option);
  const description = summary(option.description).replace(/[[\]\\]/g, '\\$&').replace(/'/g, `'\\''`);
  const repeat = /repeat/i.test(option.description) ? '*' : '';
  const kind = valueKind(option);
  const action = kind.kind === 'choices' ? `(${kind.values.join(' ')})` : kind.kind === 'file' ? '_files' : kind.kind === 'dir' ? '_files -/' : ' ';
  const value = option.arity === 'none' ? '' : `${option.arity === 'optional' ? ':' : ''}:${option.valueName ?? 'value'}:${action}`;
  const names = flags.length > 1 && !repeat ? `'(${flags.join(' ')})'{${flags.join(',')}}` : flags.length > 1 ? `{${flags.map((f) => `'${repeat}${f}'`).join(',')}}` : `'${repeat}${flags[0] ?? ''}'`;
  return `${names}'[${description}]${value}'`;
}

function zsh(m: Model, header: string): string {
  const name = (c: CommandSpec): string => ['_migrate', ...c.path].join('_').replace(/-/g, '_');
  const globals = m.program.options.map(zshSpec).join(' \\\n    ');
  const functions = [m.program, ...m.commands].map((c) => {
    const options = (c === m.program ? [] : c.options).map(zshSpec);
    const subs = c.commands.map((s) => sq(`${s.name}:${summary(s.description).replace(/:/g, '\\:')}`));
    const positional = c.commands.length > 0 || c === m.program
      ? [`'1: :->command'`, `'*:: :->args'`]
      : c.arguments.map((a, i) => `'${a.variadic ? '*' : i + 1}:${a.name}:${a.choices ? `(${a.choices.join(' ')})` : ' '}'`);
    const dispatch = c.commands.length > 0 || c === m.program ? `
  case $state in
    command)
      local -a commands
      commands=(${[...subs, ...(c === m.program ? [sq('help:show the help of a command')] : [])].join(' ')})
      _describe -t commands 'migrate command' commands ;;
    args)
      case $words[1] in
${c.commands.map((s) => `        ${s.name}) ${name(s)} ;;`).join('\n')}
      esac ;;
  esac` : '';
    return `${name(c)}() {
  local curcontext="$curcontext" state line
  typeset -A opt_args
  _arguments -C -s \\
    ${[...options, '"${_migrate_globals[@]}"', ...positional].join(' \\\n    ')}${dispatch}
}`;
  });
  return `#compdef migrate
${header}
_migrate_globals=(
    ${globals}
)

${functions.join('\n\n')}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _migrate "$@"
else
  compdef _migrate migrate
fi
`;
}

function fish(m: Model, header: string): string {
  const q = (text: string): string => `'${text.replace(/[\\']/g, '\\$&')}'`;
  const complete = (condition: string | undefined, option: OptionSpec): string => {
    const kind = valueKind(option);
    const names = [option.short ? `-s ${option.short.slice(1)}` : '', option.long ? `-l ${option.long.slice(2)}` : ''].filter((n) => n !== '').join(' ');
    const value = option.arity === 'none' ? '' : kind.kind === 'choices' ? ` -x -a ${q(kind.values.join(' '))}`
      : kind.kind === 'dir' ? " -x -a '(__fish_complete_directories)'" : kind.kind === 'file' ? ' -r -F' : ' -x';
    return `complete -c migrate${condition ? ` -n ${q(condition)}` : ''} ${names}${value} -d ${q(summary(option.description))}`;
  };
  const lines = [
    ...m.program.options.map((o) => complete(undefined, o)),
    ...[m.program, ...m.commands].flatMap((c) => {
      const at = `__migrate_at "${c.path.join(' ')}"`;
      return [
        ...c.commands.map((s) => `complete -c migrate -n ${q(at)} -a ${s.name} -d ${q(summary(s.description))}`),
        ...(c === m.program ? [`complete -c migrate -n ${q(at)} -a help -d 'show the help of a command'`] : []),
        ...(c === m.program ? [] : c.options.map((o) => complete(at, o))),
        ...(argumentChoices(c).length > 0 ? [`complete -c migrate -n ${q(at)} -a ${q(argumentChoices(c).join(' '))}`] : []),
      ];
    }),
  ];
  return `${header}
set -g __migrate_value_options ${m.valueOptions.join(' ')}
set -g __migrate_commands ${m.commands.map((c) => q(c.path.join(' '))).join(' ')}

# The command path of the command line being completed, e.g. "audit verify".
function __migrate_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path
    set -l skip 0
    for token in $tokens
        if test $skip -eq 1
            set skip 0
        else if string match -q -- '-*' $token
            if not string match -q -- '*=*' $token; and contains -- $token $__migrate_value_options
                set skip 1
            end
        else if contains -- (string join ' ' $path $token) $__migrate_commands
            set path $path $token
        end
    end
    string join ' ' $path
end

function __migrate_at
    set -l path (__migrate_path)
    test "$path" = "$argv[1]"
end

complete -c migrate -f
${lines.join('\n')}
`;
}

/** The completion script of `shell` for `program` (describeProgram of the root command). */
export function completionScript(shell: Shell, program: CommandSpec, version: string): string {
  const m = model(program);
  const header = `# ${shell} completion for migrate, generated by "migrate completion ${shell}" (migrator ${version}).
# Regenerate it after upgrading migrator. Installation: docs/completion.md.`;
  if (shell === 'bash') return bash(m, header);
  if (shell === 'zsh') return zsh(m, header);
  return fish(m, header);
}
