import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { MigratorError, ProblemsError } from '../../core/errors.js';
import type { Version } from '../../core/model.js';
import { createSequenceVersion, createTimestampVersion, newMigrationFiles, slugify, type NewFile } from '../../core/source/create.js';
import { classifyFileName, type Layout } from '../../core/source/layouts.js';
import { addToSum, computeSum, parseSum, readSumInputs, sumEntryPath, sumFormatProblems, sumPath } from '../../core/source/sum.js';
import type { CommandEnv } from '../program.js';
import { withSumLock, writeFileAtomic } from './hash.js';

async function existingVersions(dir: string, layout: Layout): Promise<Version[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const versions: Version[] = [];
  for (const name of names) {
    const parsed = classifyFileName(path.basename(String(name)), layout);
    if (parsed.kind === 'migration' && parsed.name.version) versions.push(parsed.name.version);
  }
  return versions;
}

/**
 * Creates every file of a new migration, none overwriting anything ("wx": fail rather than
 * overwrite, even if another process created it a moment ago). False when one already exists:
 * the ones created here are removed again, and the caller tries the next version.
 */
async function writeNewFiles(dir: string, files: ReadonlyArray<NewFile>): Promise<boolean> {
  const written: string[] = [];
  for (const file of files) {
    const target = path.join(dir, file.name);
    try {
      await writeFile(target, file.text, { flag: 'wx' });
      written.push(target);
    } catch (error) {
      await Promise.all(written.map((done) => rm(done, { force: true })));
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new MigratorError('E_CREATE_EXISTS', `cannot create ${target}: ${(error as Error).message}`, { cause: error, hint: 'Check the directory exists and is writable.' });
    }
  }
  return true;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MigratorError('E_FILE_READ', `cannot read ${file}: ${(error as Error).message}`, { cause: error, hint: 'Check the file permissions.' });
  }
}

/**
 * `migrate create <name>`: a new timestamped migration with up and down sections, named as
 * `migrations.layout` wants (golang-migrate: an `.up.sql` and a `.down.sql` file, continuing a
 * numbered sequence when the directory uses one). Never overwrites.
 *
 * Also keeps migrator.sum (core/source/sum.ts) current: the first `create` writes it listing every
 * migration file (teams commit it with the migrations); later ones add only the new file's line and
 * keep the others as recorded, so an unhashed edit of another file is still reported by `validate`.
 * A migrator.sum that is malformed or edited by hand (an unresolved merge) is refused before any
 * file is created: run `migrate hash` first. A lock file serialises concurrent creates.
 */
export function registerCreate(program: Command, env: CommandEnv): void {
  program
    .command('create')
    .description('create a new migration file V<UTC timestamp>__<name>.sql with up and down sections (or as migrations.layout names them), and add it to migrator.sum')
    .argument('<name...>', 'what the migration does, e.g. add users email index (quotes optional)')
    .action(async (words: string[], _options: unknown, command: Command) => {
      const name = words.join(' ');
      const session = await env.session(command);
      const slug = slugify(name);
      if (slug === '') throw new MigratorError('E_USAGE', `"${name}" has no letters or digits to name a file with`, { hint: 'Describe the change, e.g. migrate create add_users_table.' });
      const cwd = session.io.cwd;
      const dirs = session.config.migrations.dirs;
      const layout = session.config.migrations.layout;
      const sumFile = sumPath(dirs, cwd);
      const shownSum = path.relative(cwd, sumFile);
      const dir = path.dirname(sumFile);
      await mkdir(dir, { recursive: true });
      await withSumLock(dir, async () => {
        const existingSum = await readIfExists(sumFile);
        if (existingSum !== undefined) {
          const problems = sumFormatProblems(parseSum(existingSum), shownSum);
          if (problems.length > 0) throw new ProblemsError(problems);
        }
        const existing = await existingVersions(dir, layout);
        const taken = new Set(existing.map((version) => version.canonical));
        for (let attempt = 0; attempt < 1000; attempt++) {
          const version = createSequenceVersion(layout, existing, attempt) ?? createTimestampVersion(session.context.now(), attempt, taken);
          const files = newMigrationFiles(layout, version, slug, name);
          if (!(await writeNewFiles(dir, files))) continue;
          const relatives = files.map((file) => path.relative(cwd, path.join(dir, file.name)));
          const relative = relatives.join(' and ');
          try {
            const content = existingSum === undefined
              ? computeSum(await readSumInputs(dirs, cwd, layout))
              : addToSum(existingSum, files.map((file) => ({ path: sumEntryPath(dirs, cwd, path.join(dir, file.name)), text: file.text })), shownSum);
            await writeFileAtomic(sumFile, content);
          } catch (error) {
            if (!(error instanceof MigratorError)) throw error;
            throw new MigratorError(error.code, `created ${relative}, but could not update ${shownSum}: ${error.message}`, { cause: error, hint: 'Fix the cause, then run "migrate hash".' });
          }
          // `file` is the one holding the up statements; `files` lists them all (two for golang-migrate).
          session.output.document({ ok: true, file: relatives[0], files: relatives, version, sum: shownSum });
          for (const created of relatives) session.output.line(`Created ${created}`);
          session.output.line(`${existingSum === undefined ? 'Wrote' : 'Updated'} ${shownSum} (commit it with the migration)`);
          return;
        }
        throw new MigratorError('E_CREATE_EXISTS', 'could not find a free version for the new migration', { hint: 'Remove stray files from the migrations directory.' });
      });
    });
}
