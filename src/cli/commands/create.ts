import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { MigratorError, ProblemsError } from '../../core/errors.js';
import { createTimestampVersion, migrationTemplate, slugify } from '../../core/source/create.js';
import { parseFileName } from '../../core/source/filenames.js';
import { addToSum, computeSum, parseSum, readSumInputs, sumEntryPath, sumFormatProblems, sumPath } from '../../core/source/sum.js';
import type { CommandEnv } from '../program.js';
import { withSumLock, writeFileAtomic } from './hash.js';

async function existingVersions(dir: string): Promise<Set<string>> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const versions = new Set<string>();
  for (const name of names) {
    const parsed = parseFileName(path.basename(String(name)));
    if (parsed.kind === 'migration' && parsed.name.version) versions.add(parsed.name.version.canonical);
  }
  return versions;
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
 * `migrate create <name>`: a new timestamped migration with up and down sections. Never overwrites.
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
    .description('create a new migration file V<UTC timestamp>__<name>.sql with up and down sections, and add it to migrator.sum')
    .argument('<name...>', 'what the migration does, e.g. add users email index (quotes optional)')
    .action(async (words: string[], _options: unknown, command: Command) => {
      const name = words.join(' ');
      const session = await env.session(command);
      const slug = slugify(name);
      if (slug === '') throw new MigratorError('E_USAGE', `"${name}" has no letters or digits to name a file with`, { hint: 'Describe the change, e.g. migrate create add_users_table.' });
      const cwd = session.io.cwd;
      const dirs = session.config.migrations.dirs;
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
        const taken = await existingVersions(dir);
        for (let attempt = 0; attempt < 1000; attempt++) {
          const version = createTimestampVersion(session.context.now(), attempt, taken);
          const file = path.join(dir, `V${version}__${slug}.sql`);
          const text = migrationTemplate(name);
          try {
            // "wx": fail rather than overwrite, even if another process created it a moment ago.
            await writeFile(file, text, { flag: 'wx' });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
            throw new MigratorError('E_CREATE_EXISTS', `cannot create ${file}: ${(error as Error).message}`, { cause: error, hint: 'Check the directory exists and is writable.' });
          }
          const relative = path.relative(cwd, file);
          try {
            const content = existingSum === undefined
              ? computeSum(await readSumInputs(dirs, cwd))
              : addToSum(existingSum, [{ path: sumEntryPath(dirs, cwd, file), text }], shownSum);
            await writeFileAtomic(sumFile, content);
          } catch (error) {
            if (!(error instanceof MigratorError)) throw error;
            throw new MigratorError(error.code, `created ${relative}, but could not update ${shownSum}: ${error.message}`, { cause: error, hint: 'Fix the cause, then run "migrate hash".' });
          }
          session.output.document({ ok: true, file: relative, version, sum: shownSum });
          session.output.line(`Created ${relative}`);
          session.output.line(`${existingSum === undefined ? 'Wrote' : 'Updated'} ${shownSum} (commit it with the migration)`);
          return;
        }
        throw new MigratorError('E_CREATE_EXISTS', 'could not find a free version for the new migration', { hint: 'Remove stray files from the migrations directory.' });
      });
    });
}
