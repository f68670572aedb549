/**
 * Turns a scripted migration file (`V<version>__<description>.ts|.js|.mjs|.cjs`) into a Migration:
 * checksums its text like a SQL file and wraps its exported `up`, `down` and `verify` functions as
 * programs. Loading the module (transpiling TypeScript, importing) is the edge's job, through a
 * {@link ModuleLoader}: the core never imports user code by itself.
 */
import type { Problem } from '../errors.js';
import type { Migration, Script, Version } from '../model.js';
import type { MigrationContext, ScriptProgram } from '../scripted.js';
import { checksumOf, normaliseText } from './checksum.js';

/** Where a module failed to load (a syntax error, an exception at its top level). */
export interface ModuleLoadError {
  readonly message: string;
  /** 1-based line (and column) in the migration file, when the error says. */
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly hint?: string | undefined;
}

/**
 * Loads one migration module and returns its exports, or why it could not be loaded. Never throws.
 * `text` is the file as read, for a syntax check with positions before anything is imported.
 */
export type ModuleLoader = (input: { readonly file: string; readonly absolute: string; readonly text: string }) => Promise<{ readonly exports: Readonly<Record<string, unknown>> } | { readonly error: ModuleLoadError }>;

export interface ScriptedFile {
  readonly file: string;
  readonly absolute: string;
  readonly version: Version;
  readonly description: string;
}

const ENTRIES = ['up', 'down', 'verify'] as const;

/** Loads and checks one scripted migration; `migration` is undefined when a problem prevents it. */
export async function loadScriptedMigration(found: ScriptedFile, raw: string, load: ModuleLoader): Promise<{ readonly migration: Migration | undefined; readonly problems: ReadonlyArray<Problem> }> {
  const { file } = found;
  const loaded = await load({ file, absolute: found.absolute, text: raw });
  if ('error' in loaded) {
    const { line, column } = loaded.error;
    const at = `${file}${line === undefined ? '' : `:${line}${column === undefined ? '' : `:${column}`}`}`;
    return { migration: undefined, problems: [{ code: 'E_PARSE', message: `${at}: cannot load scripted migration: ${loaded.error.message}`, at: { file, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) }, hint: loaded.error.hint ?? 'Fix the file: it is loaded (not run) by every command that reads the migrations.' }] };
  }
  const exports = loaded.exports;
  const problems: Problem[] = [];
  // A CommonJS module's exports may sit on `default` only (module.exports = { up }).
  const named = (name: string): unknown => exports[name] ?? (exports['default'] as Record<string, unknown> | undefined)?.[name];
  for (const entry of ENTRIES) {
    const value = named(entry);
    if (value !== undefined && typeof value !== 'function') problems.push({ code: 'E_PARSE', message: `${file}:1: export "${entry}" is a ${typeof value}, not a function`, at: { file, line: 1 }, hint: `Export ${entry} as "export async function ${entry}(ctx) { ... }".` });
  }
  if (named('up') === undefined) problems.push({ code: 'E_PARSE', message: `${file}:1: a scripted migration must export an up(ctx) function`, at: { file, line: 1 }, hint: 'Add "export async function up(ctx) { ... }" (down and verify are optional).' });
  const transaction = named('transaction');
  if (transaction !== undefined && typeof transaction !== 'boolean') problems.push({ code: 'E_PARSE', message: `${file}:1: export "transaction" must be true or false`, at: { file, line: 1 }, hint: 'Export "const transaction = false" to run outside a transaction, or remove it.' });
  if (problems.length > 0) return { migration: undefined, problems };
  const script = (entry: (typeof ENTRIES)[number]): Script | undefined => {
    const fn = named(entry);
    if (typeof fn !== 'function') return undefined;
    const program: ScriptProgram = Object.freeze({ entry, location: found.absolute, run: (ctx: MigrationContext) => (fn as (ctx: MigrationContext) => unknown)(ctx) });
    return Object.freeze({ file, statements: Object.freeze([]), transactional: transaction !== false, timeoutMs: undefined, program });
  };
  const up = script('up') as Script;
  return {
    problems: [],
    migration: Object.freeze({
      id: found.version.canonical,
      kind: 'script',
      version: found.version,
      description: found.description,
      file,
      // The whole file, down included: its functions share one module, so there is no down part to
      // checksum apart (a SQL file's down section is). Editing down(ctx) of an applied file is drift.
      checksum: checksumOf(normaliseText(raw)),
      downChecksum: undefined,
      up,
      down: script('down'),
      verify: script('verify'),
      directives: Object.freeze({ depends: Object.freeze([]), transaction: transaction !== false, irreversible: false, allow: Object.freeze([]), timeoutMs: undefined }),
    }),
  };
}
