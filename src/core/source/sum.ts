/**
 * `migrator.sum`: an integrity file over the migration files, after Atlas's `atlas.sum`. It lives in
 * the FIRST migrations directory and teams commit it with the migrations:
 *
 * ```
 * h1:<base64 sha256 of every line below, each ending in LF>
 * V1__create_users.sql h1:<base64 sha256 of the file's normalised text>
 * sub/V3__x.sql h1:...
 * ../other/V9__y.sql h1:...
 * ```
 *
 * One line per migration file (everything {@link classifyFileName} classifies as a migration under
 * the configured layout: V, U, R, SQL and scripts; golang-migrate `.up.sql` and `.down.sql`; dbmate
 * files) across all configured directories, its path relative to the first directory with
 * `/` separators, sorted by path (UTF-16 code units, so every platform agrees). A file is hashed over
 * its text normalised like checksums ({@link normaliseText}: BOM stripped, CRLF -> LF), so Windows and
 * Linux checkouts agree.
 *
 * Why: two branches that each add a migration both rewrite line 1, so git reports a merge conflict
 * (where two new migrations would otherwise merge silently, in an order nobody reviewed); and a file
 * edited, added or removed without running `migrate hash` is caught by `validate` before deploy.
 *
 * Everything here is pure except {@link readSumInputs}, {@link sumFileExists} and {@link checkSum},
 * which read the directories (like loader.ts does).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MigratorError, type Problem } from '../errors.js';
import { normaliseText } from './checksum.js';
import { classifyFileName, type Layout } from './layouts.js';

/** The file's name, in the first migrations directory. */
export const SUM_FILE_NAME = 'migrator.sum';

/** One migration file to hash: its path relative to the first directory (`/` separators) and its text. */
export interface SumInput {
  readonly path: string;
  readonly text: string;
}

/** A file line of migrator.sum. */
export interface SumEntry {
  readonly path: string;
  /** `h1:<base64 sha256>` */
  readonly hash: string;
  /** 1-based line number in the sum file. */
  readonly line: number;
}

/** A line that is not what migrator writes. */
export interface MalformedLine {
  readonly line: number;
  readonly reason: string;
  /** True for `<<<<<<<`, `=======`, `>>>>>>>`, `|||||||` (an unresolved git merge). */
  readonly conflictMarker: boolean;
}

export interface ParsedSum {
  /** Line 1 (`h1:...`), when it is well-formed. */
  readonly sum: string | undefined;
  /** The well-formed file lines, in the order written. */
  readonly entries: ReadonlyArray<SumEntry>;
  readonly malformed: ReadonlyArray<MalformedLine>;
  /** Line 1 is the hash of the lines below it (false whenever anything is malformed). */
  readonly intact: boolean;
}

const HASH = 'h1:[A-Za-z0-9+/]{43}=';
const HEADER_PATTERN = new RegExp(`^${HASH}$`);
const ENTRY_PATTERN = new RegExp(`^(.+) (${HASH})$`);
const CONFLICT_MARKER = /^(?:<{7}|={7}|>{7}|\|{7})(?:\s|$)/;

function h1(text: string): string {
  return `h1:${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** `h1:` + base64 sha256 of the text normalised like checksums (BOM stripped, CRLF -> LF). */
export function hashFile(text: string): string {
  return h1(normaliseText(text));
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function render(entries: ReadonlyArray<{ readonly path: string; readonly hash: string }>): string {
  const body = entries.map((entry) => `${entry.path} ${entry.hash}\n`).join('');
  return `${h1(body)}\n${body}`;
}

/**
 * The content of migrator.sum for these files (order does not matter). Paths must be unique and
 * contain no line break; a violation is a bug in the caller (TypeError).
 */
export function computeSum(files: ReadonlyArray<SumInput>): string {
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new TypeError(`computeSum: ${file.path} is given twice`);
    if (/[\r\n]/.test(file.path)) throw new TypeError(`computeSum: ${JSON.stringify(file.path)} contains a line break`);
    seen.add(file.path);
  }
  return render([...files].sort((a, b) => byPath(a.path, b.path)).map((file) => ({ path: file.path, hash: hashFile(file.text) })));
}

/** Reads migrator.sum text (BOM and CRLF tolerated, as after a Windows checkout) without judging the files. */
export function parseSum(text: string): ParsedSum {
  const lines = normaliseText(text).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const malformed: MalformedLine[] = [];
  const entries: SumEntry[] = [];
  const lineOf = new Map<string, number>();
  const bad = (line: number, content: string, reason: string) => {
    const conflictMarker = CONFLICT_MARKER.test(content);
    malformed.push({ line, conflictMarker, reason: conflictMarker ? 'unresolved git merge conflict marker' : reason });
  };
  const [header] = lines;
  const sum = header !== undefined && HEADER_PATTERN.test(header) ? header : undefined;
  if (header === undefined) bad(1, '', 'the file is empty: expected "h1:<hash>" on line 1');
  else if (sum === undefined) bad(1, header, 'expected "h1:<hash>" (the hash of the lines below)');
  lines.forEach((content, index) => {
    const line = index + 1;
    if (line === 1) return;
    const match = ENTRY_PATTERN.exec(content);
    if (!match) {
      bad(line, content, content === '' ? 'empty line' : 'expected "<file> h1:<hash>"');
      return;
    }
    const [, file = '', hash = ''] = match;
    const previous = lineOf.get(file);
    if (previous !== undefined) {
      bad(line, content, `${file} is listed twice (also on line ${previous})`);
      return;
    }
    lineOf.set(file, line);
    entries.push({ path: file, hash, line });
  });
  const intact = malformed.length === 0 && sum === h1(lines.slice(1).map((l) => `${l}\n`).join(''));
  return { sum, entries, malformed, intact };
}

const HASH_HINT = 'Run "migrate hash" to rewrite it from the files, then commit it with them.';

/** The problems of migrator.sum's own form: malformed lines, merge conflict markers, a hand-edited line 1. */
export function sumFormatProblems(parsed: ParsedSum, sumFile: string): Problem[] {
  const problems: Problem[] = parsed.malformed.map((bad) => ({
    code: 'E_SUM_MISMATCH',
    message: `${sumFile} line ${bad.line}: ${bad.reason}`,
    at: { file: sumFile, line: bad.line },
    hint: bad.conflictMarker
      ? 'Two branches added or changed migrations. Keep both sets of migration files (rename one if their order matters), then run "migrate hash" instead of editing migrator.sum, and commit it.'
      : `migrator.sum is written by migrate, not by hand. ${HASH_HINT}`,
  }));
  if (problems.length === 0 && !parsed.intact) {
    problems.push({
      code: 'E_SUM_MISMATCH',
      message: `${sumFile} was edited by hand: its first line does not match the lines below it`,
      at: { file: sumFile, line: 1 },
      hint: `After a merge conflict in migrator.sum, check the migration files, then do not merge its lines by hand: ${HASH_HINT}`,
    });
  }
  return problems;
}

/**
 * What differs between `expected` (the committed migrator.sum) and `actual` (computeSum of the files
 * now), as E_SUM_MISMATCH problems (exit 5): malformed lines and a hand-edited line 1 first, then per
 * file, by path, a file not listed (added without `migrate hash`), listed but gone, or changed.
 * `sumFile` is how to name the sum file in messages (e.g. `migrations/migrator.sum`); file names are
 * shown next to it. [] when they agree.
 */
export function compareSum(expected: string, actual: string, sumFile: string): Problem[] {
  const recorded = parseSum(expected);
  const current = parseSum(actual);
  if (current.malformed.length > 0) throw new TypeError('compareSum: "actual" must come from computeSum');
  const problems = sumFormatProblems(recorded, sumFile);
  const dir = path.dirname(sumFile);
  const shown = (file: string) => (dir === '.' ? file : path.join(dir, file));
  const before = new Map(recorded.entries.map((entry) => [entry.path, entry]));
  const now = new Map(current.entries.map((entry) => [entry.path, entry]));
  for (const file of [...new Set([...before.keys(), ...now.keys()])].sort(byPath)) {
    const was = before.get(file);
    const is = now.get(file);
    const name = shown(file);
    if (was === undefined) {
      problems.push({
        code: 'E_SUM_MISMATCH',
        message: `${name} is not in ${sumFile}: run "migrate hash"`,
        at: { file: name },
        hint: 'A migration was added without updating migrator.sum ("migrate create" does it). If the file is meant to be there, run "migrate hash" and commit migrator.sum with it.',
        details: { file, expected: null, actual: is?.hash ?? null },
      });
    } else if (is === undefined) {
      problems.push({
        code: 'E_SUM_MISMATCH',
        message: `${name} is listed in ${sumFile} (line ${was.line}) but does not exist`,
        at: { file: sumFile, line: was.line },
        hint: 'Restore the file (e.g. "git checkout -- <file>"). If it was removed on purpose and was never applied anywhere, run "migrate hash".',
        details: { file, expected: was.hash, actual: null },
      });
    } else if (was.hash !== is.hash) {
      problems.push({
        code: 'E_SUM_MISMATCH',
        message: `${name} changed since ${sumFile} was written`,
        at: { file: name },
        hint: 'A migration that was applied anywhere must not change: restore it and add a new migration. If it was never applied and the edit is intended, run "migrate hash" and commit migrator.sum with it.',
        details: { file, expected: was.hash, actual: is.hash },
      });
    }
  }
  return problems;
}

/**
 * migrator.sum with `files` added (or their lines replaced), every other line kept exactly as
 * recorded — so `migrate create` adds its own file without accepting anybody's unhashed edits — and
 * line 1 recomputed. `existing` must be well-formed and intact (check with {@link sumFormatProblems}
 * first); otherwise this throws E_SUM_MISMATCH.
 */
export function addToSum(existing: string, files: ReadonlyArray<SumInput>, sumFile: string): string {
  const parsed = parseSum(existing);
  const problems = sumFormatProblems(parsed, sumFile);
  const [first] = problems;
  if (first) throw new MigratorError('E_SUM_MISMATCH', first.message, { ...(first.hint === undefined ? {} : { hint: first.hint }), ...(first.at === undefined ? {} : { at: first.at }) });
  const entries = new Map(parsed.entries.map((entry) => [entry.path, entry.hash]));
  for (const file of files) {
    if (/[\r\n]/.test(file.path)) throw new TypeError(`addToSum: ${JSON.stringify(file.path)} contains a line break`);
    entries.set(file.path, hashFile(file.text));
  }
  return render([...entries].sort(([a], [b]) => byPath(a, b)).map(([file, hash]) => ({ path: file, hash })));
}

/** Absolute path of migrator.sum: in the first configured directory (`migrations` when none is). */
export function sumPath(dirs: ReadonlyArray<string>, cwd: string): string {
  return path.resolve(cwd, dirs[0] ?? 'migrations', SUM_FILE_NAME);
}

/** How an absolute file is named in migrator.sum: relative to the first directory, `/` separators. */
export function sumEntryPath(dirs: ReadonlyArray<string>, cwd: string, absolute: string): string {
  return path.relative(path.dirname(sumPath(dirs, cwd)), absolute).split(path.sep).join('/');
}

/**
 * Lists and reads every migration file of `dirs` (relative to `cwd` or absolute), as computeSum
 * wants them. Files the loader skips are skipped the same way (dot files, misnamed files, anything
 * not a migration); a file reached through two configured directories counts once; a directory that
 * does not exist reads as empty (the loader reports it). `layout` is `migrations.layout` (default
 * `flyway`). Throws E_FILE_READ when something cannot be read.
 */
export async function readSumInputs(dirs: ReadonlyArray<string>, cwd: string, layout: Layout = 'flyway'): Promise<SumInput[]> {
  const seen = new Set<string>();
  const inputs: SumInput[] = [];
  for (const dir of dirs) {
    const absoluteDir = path.resolve(cwd, dir);
    let entries;
    try {
      entries = await readdir(absoluteDir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new MigratorError('E_FILE_READ', `cannot read migrations directory ${dir}: ${(error as Error).message}`, { cause: error, at: { file: dir }, hint: 'Check the path and its permissions.' });
    }
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith('.') || classifyFileName(entry.name, layout).kind !== 'migration') continue;
      const absolute = path.join(entry.parentPath, entry.name);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      let text: string;
      try {
        // Synchronously, as the loader reads migrations: an awaited readFile per file is ten times slower.
        text = readFileSync(absolute, 'utf8');
      } catch (error) {
        const file = path.relative(cwd, absolute);
        throw new MigratorError('E_FILE_READ', `cannot read ${file}: ${(error as Error).message}`, { cause: error, at: { file }, hint: 'Check the file permissions.' });
      }
      inputs.push({ path: sumEntryPath(dirs, cwd, absolute), text });
    }
  }
  return inputs.sort((a, b) => byPath(a.path, b.path));
}

/** Whether migrator.sum exists in the first directory. */
export async function sumFileExists(dirs: ReadonlyArray<string>, cwd: string): Promise<boolean> {
  try {
    return (await stat(sumPath(dirs, cwd))).isFile();
  } catch {
    return false;
  }
}

/**
 * For `validate` (and anything else that gates a deploy): the files against the committed
 * migrator.sum, as problems (E_SUM_MISMATCH, exit 5; E_FILE_READ when something cannot be read).
 *
 * [] when they agree, and [] when there is NO migrator.sum: the file is opt-in per project (it
 * appears with the first `migrate create` or `migrate hash`), so a project that never committed
 * one is not failed for it. Use {@link sumFileExists} to tell "matches" from "absent" (for example
 * to print a note, or to require the file in CI).
 */
export async function checkSum(dirs: ReadonlyArray<string>, cwd: string, layout: Layout = 'flyway'): Promise<Problem[]> {
  const file = sumPath(dirs, cwd);
  const shown = path.relative(cwd, file) || SUM_FILE_NAME;
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [{ code: 'E_FILE_READ', message: `cannot read ${shown}: ${(error as Error).message}`, at: { file: shown }, hint: 'Check the file permissions.' }];
  }
  let inputs: SumInput[];
  try {
    inputs = await readSumInputs(dirs, cwd, layout);
  } catch (error) {
    if (!(error instanceof MigratorError)) throw error;
    return [{ code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), ...(error.at === undefined ? {} : { at: error.at }) }];
  }
  return compareSum(expected, computeSum(inputs), shown);
}
