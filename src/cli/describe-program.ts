/**
 * The commander program as plain data: every command (with its subcommands), its options and
 * arguments. Shell completion scripts are generated from it, and the docs test checks the
 * documentation against it, so a new command or option is covered without a list to maintain.
 */
import type { Argument, Command, Option } from 'commander';

/** How many values an option takes on the command line. */
export type OptionArity = 'none' | 'required' | 'optional';

export interface OptionSpec {
  /** As written in the help: `-c, --config <path>`. */
  readonly flags: string;
  readonly long: string | undefined;
  readonly short: string | undefined;
  readonly arity: OptionArity;
  /** Repeatable with commander's variadic syntax (`<values...>`). */
  readonly variadic: boolean;
  /** The value's name in the help, e.g. `path` for `<path>`; `undefined` when it takes none. */
  readonly valueName: string | undefined;
  /** The only values accepted, when the option declares them. */
  readonly choices: ReadonlyArray<string> | undefined;
  readonly description: string;
  /** The commander option, to check a value with its own parser. */
  readonly option: Option;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly choices: ReadonlyArray<string> | undefined;
}

export interface CommandSpec {
  readonly name: string;
  /** Names from the program down: `[]` for the program, `['audit', 'verify']` for a subcommand. */
  readonly path: ReadonlyArray<string>;
  readonly aliases: ReadonlyArray<string>;
  readonly description: string;
  readonly options: ReadonlyArray<OptionSpec>;
  readonly arguments: ReadonlyArray<ArgumentSpec>;
  readonly commands: ReadonlyArray<CommandSpec>;
}

function describeOption(option: Option): OptionSpec {
  const arity: OptionArity = option.required ? 'required' : option.optional ? 'optional' : 'none';
  const valueName = /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(option.flags)?.[1];
  return {
    flags: option.flags,
    long: option.long,
    short: option.short,
    arity,
    variadic: option.variadic,
    valueName,
    choices: option.argChoices,
    description: option.description,
    option,
  };
}

function describeArgument(argument: Argument): ArgumentSpec {
  return { name: argument.name(), required: argument.required, variadic: argument.variadic, choices: argument.argChoices };
}

/**
 * Describes `command` and everything below it. Hidden options and commands are left out: they are
 * not part of the public interface. Commander's own `-h, --help` is not listed (it is everywhere).
 */
export function describeProgram(command: Command, parentPath: ReadonlyArray<string> = []): CommandSpec {
  const isProgram = command.parent === null;
  const path = isProgram ? [] : [...parentPath, command.name()];
  const visible = (c: Command): boolean => !(c as Command & { _hidden?: boolean })._hidden;
  return {
    name: command.name(),
    path,
    aliases: command.aliases(),
    description: command.description(),
    options: command.options.filter((o) => !o.hidden).map(describeOption),
    arguments: command.registeredArguments.map(describeArgument),
    commands: command.commands.filter(visible).map((sub) => describeProgram(sub, path)),
  };
}

/** Every command below `spec`, depth first (`audit` before `audit verify`). */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return spec.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
