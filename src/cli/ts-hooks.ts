/**
 * Node module hooks (registered with `module.register` by script-modules.ts, on the hooks thread)
 * that let scripted migrations be written in TypeScript with no build step: a `.ts` file is
 * transpiled in memory by sucrase (types stripped, line numbers kept, so stack traces point at the
 * right lines) and loaded as an ES module. A relative `./x.js` import from a `.ts` file finds
 * `./x.ts` when no `x.js` exists, as TypeScript's NodeNext resolution writes it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'sucrase';

interface ResolveContext {
  readonly parentURL?: string | undefined;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
interface LoadResult {
  readonly format: string;
  readonly source?: string;
  readonly shortCircuit?: boolean;
}
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;

function isTypeScript(url: string): boolean {
  return url.startsWith('file:') && new URL(url).pathname.endsWith('.ts');
}

/** Resolves `./x.js` imported from a `.ts` module to `./x.ts` when only that exists. */
export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string }> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTs = context.parentURL !== undefined && isTypeScript(context.parentURL);
    if (!fromTs || !/^\.{1,2}\/.*\.js$/.test(specifier) || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
  }
}

/** Loads `.ts` files as ES modules, transpiled; everything else as Node would. */
export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  if (!isTypeScript(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const text = await readFile(file, 'utf8');
  const { code } = transform(text, { transforms: ['typescript'], filePath: file, disableESTransforms: true });
  return { format: 'module', source: code, shortCircuit: true };
}
