import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { MigratorError } from '../../core/errors.js';
import { createTimestampVersion, migrationTemplate, slugify } from '../../core/source/create.js';
import { parseFileName } from '../../core/source/filenames.js';
import { readdir } from 'node:fs/promises';
import type { CommandEnv } from '../program.js';

async function existingVersions(dir: string): Promise<Set<string>> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const versions = new Set<string>();
  for (const name of names) {
    const parsed = parseFileName(path.basename(String(name)));
    if (parsed.kind === 'migration' && parsed.name.version) versions.add(parsed.name.version.canonical);
  }
  return versions;
}

/** `migrate create <name>`: a new timestamped migration with up and down sections. Never overwrites. */
export function registerCreate(program: Command, env: CommandEnv): void {
  program
    .command('create')
    .description('create a new migration file V<UTC timestamp>__<name>.sql with up and down sections')
    .argument('<name...>', 'what the migration does, e.g. add users email index (quotes optional)')
    .action(async (words: string[], _options: unknown, command: Command) => {
      const name = words.join(' ');
      const session = await env.session(command);
      const slug = slugify(name);
      if (slug === '') throw new MigratorError('E_USAGE', `"${name}" has no letters or digits to name a file with`, { hint: 'Describe the change, e.g. migrate create add_users_table.' });
      const dir = path.resolve(session.io.cwd, session.config.migrations.dirs[0] ?? 'migrations');
      await mkdir(dir, { recursive: true });
      const taken = await existingVersions(dir);
      for (let attempt = 0; attempt < 1000; attempt++) {
        const version = createTimestampVersion(session.context.now(), attempt, taken);
        const file = path.join(dir, `V${version}__${slug}.sql`);
        try {
          // "wx": fail rather than overwrite, even if another process created it a moment ago.
          await writeFile(file, migrationTemplate(name), { flag: 'wx' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw new MigratorError('E_CREATE_EXISTS', `cannot create ${file}: ${(error as Error).message}`, { cause: error, hint: 'Check the directory exists and is writable.' });
        }
        const relative = path.relative(session.io.cwd, file);
        session.output.document({ ok: true, file: relative, version });
        session.output.line(`Created ${relative}`);
        return;
      }
      throw new MigratorError('E_CREATE_EXISTS', 'could not find a free version for the new migration', { hint: 'Remove stray files from the migrations directory.' });
    });
}
