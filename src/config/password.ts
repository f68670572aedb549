/**
 * Reads the database password from where the configuration says: the value itself, a file, or the
 * output of a command (any secret manager's CLI: vault, aws, gcloud, op). The command runs through
 * the shell with a timeout; its stderr is never echoed, and no secret is ever put on an argv.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigratorError } from '../core/errors.js';
import type { PasswordSource } from './keys.js';

function trimNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

const MAX_OUTPUT = 1024 * 1024;

/**
 * Runs the command in its own process group, so a timeout ends the whole group (killing only the
 * shell would leave, say, a hung `vault` behind). Stdout is the password; stderr is read and dropped.
 */
function runCommand(command: string, timeoutMs: number, cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: { ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let killed = false;
    const killGroup = (): void => {
      killed = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) killGroup();
      else chunks.push(chunk);
    });
    child.stderr.resume();
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (killed) reject(Object.assign(new Error('killed'), { killed: true }));
      else if (code !== 0) reject(Object.assign(new Error('failed'), { code }));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
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
    output = await runCommand(source.command, source.timeoutMs, cwd, env);
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
