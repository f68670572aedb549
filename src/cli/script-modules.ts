/**
 * The edge half of scripted migrations: loads a `.ts`, `.js`, `.mjs` or `.cjs` migration module
 * for the core (see core/source/scripted.ts). The file is parsed first (sucrase), so a syntax error
 * is reported with its line before any module is imported; then it is imported, `.ts` through the
 * in-memory transpiling hooks of ts-hooks.ts. Importing runs the module's top level: it happens
 * for every command that reads the migrations, so migrations keep their work inside `up(ctx)`.
 */
import { createHash } from 'node:crypto';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { ModuleLoadError, ModuleLoader } from '../core/source/scripted.js';

let hooksRegistered = false;

function registerTypeScriptHooks(): void {
  if (hooksRegistered) return;
  register(new URL('./ts-hooks.js', import.meta.url));
  hooksRegistered = true;
}

/**
 * A syntax error with its position, or `undefined` when the text parses. sucrase is loaded here,
 * on the first scripted migration, not at start-up: it costs ~50 ms that SQL-only projects never pay.
 */
async function syntaxError(text: string, absolute: string, typescript: boolean): Promise<ModuleLoadError | undefined> {
  const { transform } = await import('sucrase');
  try {
    transform(text, { transforms: typescript ? ['typescript'] : [], filePath: absolute, disableESTransforms: true });
    return undefined;
  } catch (error) {
    const loc = (error as { loc?: { line?: number; column?: number } }).loc;
    const message = (error as Error).message.replace(/^Error transforming [^:]*: /, '').replace(/\s*\(\d+:\d+\)$/, '');
    return { message: `syntax error: ${message}`, line: loc?.line, column: loc?.column, hint: 'Fix the syntax there; nothing has run.' };
  }
}

/** Where in the file an import-time error was raised (its top level), from the stack. */
function importError(error: unknown, absolute: string): ModuleLoadError {
  const message = error instanceof Error ? error.message : String(error);
  const path = pathToFileURL(absolute).pathname;
  const frame = (error instanceof Error ? error.stack ?? '' : '').split('\n').find((line) => line.includes(path));
  const match = frame ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  const esmInCjs = /Cannot use import statement outside a module|Unexpected token 'export'/.test(message);
  return {
    message,
    line: match ? Number(match[1]) : undefined,
    column: match ? Number(match[2]) : undefined,
    hint: esmInCjs
      ? 'Node reads this .js file as CommonJS (the nearest package.json has no "type": "module"): rename it to .mjs (or .ts), or use module.exports.'
      : 'The module threw while loading (its top level); keep work inside up(ctx).',
  };
}

/** The loader `loadMigrations` uses for scripted migrations. */
export function createModuleLoader(): ModuleLoader {
  return async ({ absolute, text }) => {
    const typescript = absolute.endsWith('.ts');
    const invalid = await syntaxError(text, absolute, typescript);
    if (invalid) return { error: invalid };
    if (typescript) registerTypeScriptHooks();
    const url = pathToFileURL(absolute);
    // Keyed by content: a process that reads a file again after it changed gets the new version.
    url.searchParams.set('sha', createHash('sha256').update(text).digest('hex').slice(0, 16));
    try {
      return { exports: (await import(url.href)) as Record<string, unknown> };
    } catch (error) {
      return { error: importError(error, absolute) };
    }
  };
}
