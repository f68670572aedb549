/**
 * Reads migration directories and assembles every migration, fully parsed, before anything runs.
 * Problems are collected across all files so one `validate` shows them all; the caller decides
 * whether they are fatal.
 */
import { readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../errors.js';
import type { Migration, Script } from '../model.js';
import { loadCallbacks, type Callback } from './callbacks.js';
import type { ParsedName } from './filenames.js';
import { classifyFileName, type Layout } from './layouts.js';
import { parseMigrationFile, parseUndoFile, type ParsedFile, type ParseOptions } from './parse.js';
import { emptyDirectives } from './directives.js';
import { STREAM_ABOVE_BYTES, loadStreamed } from './streamed.js';
import { loadScriptedMigration, type ModuleLoader } from './scripted.js';
import type { Placeholders } from './placeholders.js';
import type { SqlSyntax } from './syntax.js';

export interface LoadOptions {
  /** Directories to read, as configured (relative to `cwd` or absolute). */
  readonly dirs: ReadonlyArray<string>;
  readonly syntax: SqlSyntax;
  /**
   * Loads scripted (`.ts`/`.js`) migrations; supplied by the edge. Without it such files are
   * reported as unsupported (E_FILE_NAME) rather than silently skipped.
   */
  readonly modules?: ModuleLoader | undefined;
  /** `placeholders:` from the configuration; `undefined` (the default): files run as written. */
  readonly placeholders?: Placeholders | undefined;
  /** Base for relative directories and for the file names shown in messages. */
  readonly cwd: string;
  /** `migrations.layout`: how files are named (layouts.ts); `flyway` when absent. */
  readonly layout?: Layout | undefined;
  /** Files larger than this many bytes are streamed, not held (source/streamed.ts); default STREAM_ABOVE_BYTES. */
  readonly streamAboveBytes?: number | undefined;
}

export interface LoadResult {
  /** Every migration found, in file-name order; duplicates are kept for the planner to report. */
  readonly migrations: ReadonlyArray<Migration>;
  readonly problems: ReadonlyArray<Problem>;
  /** The SQL callbacks (`beforeMigrate.sql`, ...) found, parsed, in file-name order. */
  readonly callbacks: ReadonlyArray<Callback>;
}

interface FoundFile {
  readonly file: string;
  readonly absolute: string;
  readonly name: ParsedName;
}

async function listFiles(dir: string, cwd: string, layout: Layout, problems: Problem[]): Promise<FoundFile[]> {
  const absoluteDir = path.resolve(cwd, dir);
  let entries;
  try {
    entries = await readdir(absoluteDir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // Silently reading a misspelt directory as empty would report "up to date" and deploy nothing.
      problems.push({ code: 'E_FILE_READ', message: `migrations directory ${dir} does not exist (looked in ${absoluteDir})`, at: { file: dir }, hint: 'Fix --dir or migrations.dirs, or create the directory ("migrate create <name>" does).' });
      return [];
    }
    problems.push({ code: 'E_FILE_READ', message: `cannot read migrations directory ${dir}: ${(error as Error).message}`, at: { file: dir }, hint: 'Check the path and its permissions.' });
    return [];
  }
  const found: FoundFile[] = [];
  // path.relative resolves both its arguments on every call: once per directory is enough.
  const relativeDirs = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relativeDir = relativeDirs.get(entry.parentPath) ?? path.relative(cwd, entry.parentPath);
    relativeDirs.set(entry.parentPath, relativeDir);
    const file = path.join(relativeDir, entry.name);
    const result = classifyFileName(entry.name, layout);
    if (result.kind === 'invalid') {
      problems.push({ code: 'E_FILE_NAME', message: `${file}: bad migration file name: ${result.reason}`, at: { file }, hint: result.hint ?? 'Rename the file, or move it out of the migrations directory.' });
    } else if (result.kind === 'migration') {
      found.push({ file, absolute, name: result.name });
    }
  }
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Reads one file. Synchronously on purpose: an awaited `readFile` costs four thread-pool round trips
 * (open, fstat, read, close), which made reading 10,000 small files take ten times longer than the
 * blocking call; and nothing else runs yet while migrations load (no lock is held, no query is open).
 */
function readText(found: FoundFile, problems: Problem[]): string | undefined {
  try {
    return readFileSync(found.absolute, 'utf8');
  } catch (error) {
    problems.push({ code: 'E_FILE_READ', message: `cannot read ${found.file}: ${(error as Error).message}`, at: { file: found.file }, hint: 'Check the file permissions.' });
    return undefined;
  }
}

interface Undo {
  readonly file: string;
  readonly down: Script;
  readonly checksum: string;
}

/** How each layout's files are parsed (docs/layouts.md). */
const PARSING: Readonly<Record<Layout, ParseOptions>> = {
  flyway: { sections: 'optional' },
  'golang-migrate': { sections: 'refused', unwrapTransaction: true },
  dbmate: { sections: 'required' },
};

/** What a layout calls the file that undoes a version, and the file it must pair with. */
function orphanUndo(layout: Layout, undo: Undo, canonical: string): Problem {
  if (layout === 'golang-migrate') {
    return { code: 'E_FILE_NAME', message: `${undo.file} is the down of version ${canonical}, but no ${canonical}_<title>.up.sql file defines that version`, at: { file: undo.file }, hint: 'Add the matching .up.sql file (same version), or remove the down file.' };
  }
  return { code: 'E_FILE_NAME', message: `${undo.file} undoes version ${canonical}, but no V file defines that version`, at: { file: undo.file }, hint: `Add the V${canonical}__<description>.sql file, or remove the undo.` };
}

function loadUndos(files: ReadonlyArray<FoundFile>, syntax: SqlSyntax, problems: Problem[], placeholders: Placeholders | undefined, layout: Layout): Map<string, Undo> {
  const undos = new Map<string, Undo>();
  for (const found of files) {
    const canonical = found.name.version?.canonical ?? '';
    const text = readText(found, problems);
    if (text === undefined) continue;
    const parsed = parseUndoFile(found.file, text, syntax, placeholders, PARSING[layout]);
    problems.push(...parsed.problems);
    const previous = undos.get(canonical);
    if (previous) {
      problems.push({ code: 'E_DUPLICATE_VERSION', message: `undo of version ${canonical} is defined twice: ${previous.file} and ${found.file}`, at: { file: found.file }, hint: layout === 'golang-migrate' ? 'Keep one .down.sql file per version.' : 'Keep one U file per version.' });
      continue;
    }
    undos.set(canonical, { file: found.file, down: parsed.down, checksum: parsed.checksum });
  }
  return undos;
}

/** Reads and parses a file held whole. */
function parseText(found: FoundFile, options: LoadOptions, layout: Layout, problems: Problem[]): ParsedFile | undefined {
  const text = readText(found, problems);
  return text === undefined ? undefined : parseMigrationFile(found.file, text, options.syntax, options.placeholders, PARSING[layout]);
}

/**
 * A file over the stream threshold, passed over once and not held (source/streamed.ts); `undefined`
 * for a smaller one, or one that must be read whole after all (placeholders, another layout's
 * rules, markers, transaction control).
 */
async function parseLarge(found: FoundFile, options: LoadOptions, layout: Layout, problems: Problem[]): Promise<ParsedFile | undefined> {
  if (options.placeholders !== undefined || layout !== 'flyway') return undefined;
  let bytes: number;
  try {
    bytes = statSync(found.absolute).size;
  } catch {
    return undefined; // reading it whole reports why
  }
  if (bytes <= (options.streamAboveBytes ?? STREAM_ABOVE_BYTES)) return undefined;
  const loaded = await loadStreamed(found.file, found.absolute, bytes, options.syntax);
  if (loaded === undefined) return undefined;
  problems.push(...loaded.problems);
  return { up: loaded.script, down: undefined, verify: undefined, directives: emptyDirectives(), checksum: loaded.checksum, downChecksum: undefined, problems: [] };
}

/** Reads and parses every migration in `options.dirs`. Missing directories read as empty. */
export async function loadMigrations(options: LoadOptions): Promise<LoadResult> {
  const problems: Problem[] = [];
  const layout = options.layout ?? 'flyway';
  const files = (await Promise.all(options.dirs.map((dir) => listFiles(dir, options.cwd, layout, problems)))).flat();
  const scripts = files.filter((f) => f.name.role === 'script');
  const scripted: Migration[] = [];
  for (const found of scripts) {
    if (!options.modules || !found.name.version) {
      problems.push({ code: 'E_FILE_NAME', message: `${found.file}: scripted (TS/JS) migrations cannot be loaded here`, at: { file: found.file }, hint: 'Run it with the migrate CLI, or write the migration as a .sql file.' });
      continue;
    }
    const text = readText(found, problems);
    if (text === undefined) continue;
    const loaded = await loadScriptedMigration({ file: found.file, absolute: found.absolute, version: found.name.version, description: found.name.description }, text, options.modules);
    problems.push(...loaded.problems);
    if (loaded.migration) scripted.push(loaded.migration);
  }
  const undos = loadUndos(files.filter((f) => f.name.role === 'undo'), options.syntax, problems, options.placeholders, layout);
  const migrations: Migration[] = [];
  const paired = new Set<string>();
  for (const found of files.filter((f) => f.name.role === 'versioned' || f.name.role === 'repeatable')) {
    const parsed = await parseLarge(found, options, layout, problems) ?? parseText(found, options, layout, problems);
    if (parsed === undefined) continue;
    problems.push(...parsed.problems);
    const version = found.name.version;
    const undo = version ? undos.get(version.canonical) : undefined;
    if (undo && parsed.down) {
      problems.push({ code: 'E_DUPLICATE_VERSION', message: `version ${version?.canonical} has two downs: ${undo.file} and the "-- migrate:down" section of ${found.file}`, at: { file: undo.file }, hint: 'Keep one of them.' });
    }
    if (version) paired.add(version.canonical);
    const down = parsed.down ?? undo?.down;
    migrations.push(Object.freeze({
      id: version ? version.canonical : `R__${found.name.rawDescription}`,
      kind: found.name.role === 'repeatable' ? 'repeatable' : 'versioned',
      version,
      description: found.name.description,
      file: found.file,
      checksum: parsed.checksum,
      downChecksum: parsed.downChecksum ?? undo?.checksum,
      up: parsed.up,
      down,
      verify: parsed.verify,
      directives: parsed.directives,
    }));
  }
  for (const [canonical, undo] of undos) {
    if (!paired.has(canonical)) problems.push(orphanUndo(layout, undo, canonical));
  }
  const callbacks = await loadCallbacks(options, problems);
  // Scripted ones join in file-name order, as if they had been read in the same loop.
  migrations.push(...scripted);
  migrations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { migrations: Object.freeze(migrations), problems, callbacks };
}
