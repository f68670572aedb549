/**
 * Runs a configured shell command (a password command, the backup hook) in its own process group,
 * so a timeout ends the whole group: killing only the shell would leave, say, a hung `vault` or
 * `pg_dump` behind. Output beyond `maxOutput` bytes per stream ends the command.
 */
import { spawn } from 'node:child_process';

export interface ShellOptions {
  readonly timeoutMs: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly maxOutput?: number;
  /** Ends the whole group when it fires (Ctrl-C); the promise rejects with `{ aborted: true }`. */
  readonly signal?: AbortSignal | undefined;
}

export interface ShellResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Rejects with `{ killed: true }` on timeout, `{ overflowed: true }` after too much output (the group
 * is killed then too), `{ aborted: true }` when the
 * signal fired, `{ code }` on a non-zero exit (with what it printed).
 */
export function runShell(command: string, options: ShellOptions): Promise<ShellResult> {
  const maxOutput = options.maxOutput ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: options.cwd, env: { ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let killed = false;
    let aborted = false;
    let overflowed = false;
    const killGroup = (): void => {
      killed = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      size += chunk.length;
      if (size > 2 * maxOutput) {
        overflowed = true;
        killGroup();
      }
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (aborted) reject(Object.assign(new Error('aborted'), { aborted: true, ...result }));
      else if (overflowed) reject(Object.assign(new Error('too much output'), { overflowed: true, ...result }));
      else if (killed) reject(Object.assign(new Error('killed'), { killed: true, ...result }));
      else if (code !== 0) reject(Object.assign(new Error('failed'), { code, ...result }));
      else resolve(result);
    });
  });
}
