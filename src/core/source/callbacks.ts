/**
 * Reads the SQL callbacks of the migrations directories (`beforeMigrate.sql`, ... see
 * callback-names.ts). They are parsed with the same scanner as migrations, before anything runs,
 * so a syntax error in one stops the command with E_PARSE and its file:line. They are not
 * migrations: no version, no history row; their checksums go into the run's audit row.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../errors.js';
import type { Script } from '../model.js';
import { callbackEventOf, type CallbackEvent } from './callback-names.js';
import { parseUndoFile } from './parse.js';
import type { Placeholders } from './placeholders.js';
import type { SqlSyntax } from './syntax.js';

/** Where callbacks are read from: the loader's options. */
export interface CallbackSources {
  readonly dirs: ReadonlyArray<string>;
  readonly cwd: string;
  readonly syntax: SqlSyntax;
  readonly placeholders?: Placeholders | undefined;
}

/** One callback file, parsed: all of it is one script. */
export interface Callback {
  readonly event: CallbackEvent;
  /** Relative to the working directory, for messages. */
  readonly file: string;
  /** `sha256v1:<hex>`, like a migration's. */
  readonly checksum: string;
  readonly script: Script;
}

async function listCallbackFiles(dir: string, cwd: string): Promise<Array<{ file: string; absolute: string; event: CallbackEvent }>> {
  // A missing or unreadable directory is the loader's problem to report; here it holds no callbacks.
  const entries = await readdir(path.resolve(cwd, dir), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.flatMap((entry) => {
    const event = entry.isFile() && !entry.name.startsWith('.') ? callbackEventOf(entry.name) : undefined;
    if (!event) return [];
    const absolute = path.join(entry.parentPath, entry.name);
    return [{ file: path.relative(cwd, absolute) || entry.name, absolute, event }];
  });
}

/**
 * Reads and parses every callback in `dirs`, in file-name order (several files may serve one event:
 * `beforeMigrate.sql`, `beforeMigrate__grants.sql`). Problems (E_FILE_READ, E_PARSE, ...) are
 * added to `problems`; a file that could not be read is left out.
 */
export async function loadCallbacks(options: CallbackSources, problems: Problem[]): Promise<ReadonlyArray<Callback>> {
  const files = (await Promise.all(options.dirs.map((dir) => listCallbackFiles(dir, options.cwd)))).flat();
  files.sort((a, b) => (path.basename(a.file) < path.basename(b.file) ? -1 : path.basename(a.file) > path.basename(b.file) ? 1 : a.file < b.file ? -1 : 1));
  const callbacks: Callback[] = [];
  for (const found of files) {
    let text: string;
    try {
      text = await readFile(found.absolute, 'utf8');
    } catch (error) {
      problems.push({ code: 'E_FILE_READ', message: `cannot read ${found.file}: ${(error as Error).message}`, at: { file: found.file }, hint: 'Check the file permissions.' });
      continue;
    }
    // Placeholders apply as in migrations (Flyway does the same); the checksum is of the raw file.
    const parsed = parseUndoFile(found.file, text, options.syntax, options.placeholders);
    problems.push(...parsed.problems);
    callbacks.push(Object.freeze({ event: found.event, file: found.file, checksum: parsed.checksum, script: parsed.down }));
  }
  return Object.freeze(callbacks);
}
