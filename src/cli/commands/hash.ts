/**
 * `migrate hash`: (re)writes migrator.sum from the migration files. This is how a developer accepts
 * a change on purpose: after editing a migration that was never applied, or after a merge conflict
 * in migrator.sum (keep both branches' migration files, run `migrate hash`, commit). Also the file
 * helpers `create` shares: an atomic write and a small lock file so two processes never lose each
 * other's lines.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { MigratorError } from '../../core/errors.js';
import type { Layout } from '../../core/source/layouts.js';
import { computeSum, readSumInputs, sumPath } from '../../core/source/sum.js';
import type { CommandEnv } from '../program.js';

const LOCK_NAME = '.migrator.sum.lock';
/** A lock older than this was left by a process that died (holding it takes milliseconds). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 20_000;

/** Writes `content` to a temporary file next to `file`, then renames it over `file`: readers see the old or the new file, never half of one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, content, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new MigratorError('E_FILE_READ', `cannot write ${file}: ${(error as Error).message}`, { cause: error, hint: 'Check that the directory is writable.' });
  }
}

/**
 * Runs `fn` holding `<dir>/.migrator.sum.lock` (created exclusively; a lock older than 10 s is taken
 * as left by a crashed process). Serialises `create` and `hash` runs on one directory, so concurrent
 * creates each keep the other's line in migrator.sum.
 */
export async function withSumLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, LOCK_NAME);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MigratorError('E_FILE_READ', `cannot create ${lock}: ${(error as Error).message}`, { cause: error, hint: 'Check that the migrations directory is writable.' });
      }
    }
    const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new MigratorError('E_LOCK_TIMEOUT', `${lock} is held by another "migrate create" or "migrate hash"`, { hint: 'Wait for it to finish; if no such process is running, delete the lock file.' });
    }
    await sleep(10 + Math.floor(Math.random() * 40));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

export interface SumWritten {
  /** Absolute path of migrator.sum. */
  readonly file: string;
  /** How many migration files it lists. */
  readonly files: number;
  /** Its first line. */
  readonly sum: string;
  /** False when the file already had exactly this content (it is rewritten all the same). */
  readonly changed: boolean;
}

/** Computes migrator.sum from every migration file of `dirs` (named per `layout`) and writes it atomically, under the lock. */
export async function writeSum(dirs: ReadonlyArray<string>, cwd: string, shownDir: string, layout: Layout = 'flyway'): Promise<SumWritten> {
  const file = sumPath(dirs, cwd);
  const dir = path.dirname(file);
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new MigratorError('E_FILE_READ', `migrations directory ${shownDir} does not exist (looked in ${dir})`, { at: { file: shownDir }, hint: 'Fix --dir or migrations.dirs, or create the first migration with "migrate create <name>".' });
  }
  return withSumLock(dir, async () => {
    const inputs = await readSumInputs(dirs, cwd, layout);
    const content = computeSum(inputs);
    const previous = await readFile(file, 'utf8').catch(() => undefined);
    await writeFileAtomic(file, content);
    return { file, files: inputs.length, sum: content.slice(0, content.indexOf('\n')), changed: previous !== content };
  });
}

/** `migrate hash`: rewrites migrator.sum from the files, accepting every current file as it is. */
export function registerHash(program: Command, env: CommandEnv): void {
  program
    .command('hash')
    .description('write migrator.sum (in the first migrations directory) from the migration files; commit it with them')
    .addHelpText('after', `
migrator.sum lists every migration file with a hash of its content, and line 1 hashes the whole list.
"migrate create" updates it; "migrate validate" fails (exit 5) when a file was added, removed or edited
without it. Two branches that each add a migration both change line 1, so git reports a conflict:
keep both migration files, run "migrate hash", and commit. Only accept an edit of a migration that
was never applied anywhere.
`)
    .action(async (_options: unknown, command: Command) => {
      const session = await env.session(command);
      const dirs = session.config.migrations.dirs;
      const written = await writeSum(dirs, session.io.cwd, dirs[0] ?? 'migrations', session.config.migrations.layout);
      const shown = path.relative(session.io.cwd, written.file) || written.file;
      session.output.document({ ok: true, file: shown, files: written.files, sum: written.sum, changed: written.changed });
      session.output.line(`Wrote ${shown} (${written.files} file${written.files === 1 ? '' : 's'})`);
    });
}
