/**
 * Reads the database password from where the configuration says: the value itself, a file, or the
 * output of a command (any secret manager's CLI: vault, aws, gcloud, op). The command runs through
 * the shell with a timeout; its stderr is never echoed, and no secret is ever put on an argv.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigratorError } from '../core/errors.js';
import type { PasswordSource } from './keys.js';
import { runShell } from './shell.js';

function trimNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The password `source` gives; `origin` names the layer that set it, for errors (which never quote it). */
export async function readPassword(source: PasswordSource, cwd: string, origin: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const where = `password (set by ${origin})`;
  if (source.kind === 'literal') return source.value;
  if (source.kind === 'file') {
    const file = path.resolve(cwd, source.path);
    try {
      return trimNewline(await readFile(file, 'utf8'));
    } catch (error) {
      throw new MigratorError('E_CONFIG', `${where}: cannot read the password file ${source.path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
        hint: 'Check the path (relative to the working directory) and that this user may read it.',
      });
    }
  }
  let output: string;
  try {
    // Its stderr is read and dropped: it may hold anything, the secret included.
    output = (await runShell(source.command, { timeoutMs: source.timeoutMs, cwd, env })).stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
    const limit = source.timeoutMs < 1000 ? `${source.timeoutMs}ms` : `${Math.round(source.timeoutMs / 100) / 10}s`;
    const what = failure.killed ? `did not finish within ${limit}` : `failed (exit code ${String(failure.code ?? 'unknown')})`;
    // Its stderr may hold anything, the secret included: it is not shown.
    throw new MigratorError('E_CONFIG', `${where}: the password command ${what}; its output is not shown`, {
      hint: 'Run the command by hand to see why (it must print only the password), or raise password.timeout.',
    });
  }
  const password = trimNewline(output);
  if (password === '') throw new MigratorError('E_CONFIG', `${where}: the password command printed nothing`, { hint: 'The command must print the password on stdout.' });
  return password;
}
