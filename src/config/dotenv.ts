/**
 * The `.env` layer: `./.env` when it exists, or the file `--dotenv` names (which must exist). The
 * flag is not called --env-file because Node.js 20 consumes that one wherever it appears.
 * Read with `dotenv.parse`, never `dotenv.config()`: the process environment is never changed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigratorError } from '../core/errors.js';

export interface DotenvLayer {
  /** The file, relative to the working directory. */
  readonly file: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** Reads the `.env` file; `undefined` when there is none and none was asked for. */
export async function loadDotenv(cwd: string, explicit: string | undefined): Promise<DotenvLayer | undefined> {
  const absolute = path.resolve(cwd, explicit ?? '.env');
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return undefined;
    throw new MigratorError('E_CONFIG', `cannot read ${explicit ?? '.env'}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      at: { file: explicit ?? '.env' },
      hint: 'Fix the --dotenv path, or create the file.',
    });
  }
  const { parse } = await import('dotenv');
  return { file: path.relative(cwd, absolute) || absolute, variables: parse(text) };
}
