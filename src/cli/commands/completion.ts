import { Argument, type Command, type OutputConfiguration } from 'commander';
import { toolVersion } from '../../version.js';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import { describeProgram } from '../describe-program.js';
import type { CommandEnv } from '../program.js';

/**
 * `migrate completion bash|zsh|fish`: prints a completion script for that shell, generated from
 * this program, on stdout. Reads no configuration and opens no database, so it works anywhere
 * (docs/completion.md says how to install it).
 */
export function registerCompletion(program: Command, _env: CommandEnv): void {
  program
    .command('completion')
    .description('print a shell completion script for bash, zsh or fish (see docs/completion.md to install it)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .action((shell: Shell, _options: unknown, command: Command) => {
      let root = command;
      while (root.parent) root = root.parent;
      const output = root.configureOutput() as OutputConfiguration;
      // The program writes to the CLI's stdout (buildProgram's configureOutput), never to the process's.
      output.writeOut?.(completionScript(shell, describeProgram(root), toolVersion()));
    });
}
