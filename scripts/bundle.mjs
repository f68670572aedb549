// Bundles the compiled CLI (dist/bin.js, from `tsc -p tsconfig.build.json`) into dist/migrate.mjs,
// the file bin/migrate runs. One file instead of ~200 modules takes most of Node's module
// resolution and loading out of every start-up (docs/performance.md#start-up).
//
//   node scripts/bundle.mjs        (run by `npm run build`, after tsc)
//
// - Modules the CLI imports on demand (`import('./x.js')`: drivers, metrics, tracing) become chunks
//   next to it (dist/migrate-*.mjs), loaded only by the commands that need them.
// - Packages imported on demand (`import('cosmiconfig')`) stay outside: esbuild gives a split-off
//   CommonJS package only a default export, where Node gives its named exports too.
// - Native and optional modules stay outside (better-sqlite3 loads a .node file, pg-native is not
//   installed), and so does OpenTelemetry: it is loaded only when tracing is on.
// - pg's check for Cloudflare Workers is answered for Node.js (see pgOnNode).
// - Every chunk is written in dist/ itself, where the compiled modules' `new URL('../package.json',
//   import.meta.url)`-style references are rebased to (see rebaseImportMeta).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(DIST, 'bin.js');
const BUNDLE = path.join(DIST, 'migrate.mjs');

const EXTERNAL = ['better-sqlite3', 'pg-native', '@opentelemetry/*'];

// esbuild's shim for the bundled CommonJS packages that call require() (pino, pg, mysql2).
const BANNER = "import { createRequire as __migratorCreateRequire } from 'node:module';\nconst require = __migratorCreateRequire(import.meta.url);";

/** `import('some-package')`: left to Node (see above). */
const packagesOnDemand = {
  name: 'packages-on-demand',
  setup(build) {
    build.onResolve({ filter: /^[^./]/, namespace: 'file' }, (args) => (args.kind === 'dynamic-import' && !args.path.startsWith('node:') ? { path: args.path, external: true } : undefined));
  },
};

/**
 * A compiled module that finds a file next to itself (`new URL('./ts-hooks.js', import.meta.url)`)
 * would look next to the bundle instead: the relative path is rewritten from dist/. Any other use
 * of import.meta fails the build rather than the CLI.
 */
const rebaseImportMeta = {
  name: 'rebase-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(`${DIST}${path.sep}`)) return undefined;
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const rebased = source.replace(/new URL\((['"])([^'"]+)\1, import\.meta\.url\)/g, (_, quote, relative) => {
        const target = path.relative(DIST, path.resolve(path.dirname(args.path), relative)).split(path.sep).join('/');
        return `new URL(${quote}${target.startsWith('.') ? target : `./${target}`}${quote}, import.meta.url)`;
      });
      const left = rebased.replace(/new URL\((['"])[^'"]+\1, import\.meta\.url\)/g, '');
      if (left.includes('import.meta')) {
        return { errors: [{ text: `${path.relative(ROOT, args.path)} uses import.meta in a way the bundle cannot rebase: only new URL('<relative path>', import.meta.url) is supported` }] };
      }
      return { contents: rebased, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * pg asks, as it loads, whether it runs on Cloudflare Workers, and where `navigator` is not defined
 * (Node.js 20) it finds out by constructing a fetch `Response`, which loads undici: ~15-20 ms of
 * every PostgreSQL command. The bundle runs on Node.js only, where the answer is no.
 */
const pgOnNode = {
  name: 'pg-on-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const signature = 'function isCloudflareRuntime() {';
      if (!source.includes(signature)) return { errors: [{ text: `${args.path} no longer defines isCloudflareRuntime(): check what pg does on Node.js now, then update or drop this patch` }] };
      return { contents: source.replace(signature, `${signature}\n  return false;`), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** How long a chunk no build refers to any more stays on disk, for the commands still running it. */
const STALE_GRACE_MS = 10 * 60_000;
/** The files of the last build, to tell when a chunk became stale. */
const MANIFEST = path.join(DIST, 'migrate.files.json');

/**
 * Writes the new files without a moment where dist/migrate.mjs or one of its chunks is missing: each
 * file is renamed into place, the chunks before the file importing them. Builds run while tests and
 * other commands use the CLI, so the chunks of the build before stay for STALE_GRACE_MS after it.
 */
function install(outputFiles) {
  const ordered = [...outputFiles].sort((a, b) => Number(a.path === BUNDLE) - Number(b.path === BUNDLE));
  for (const file of ordered) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
  }
  const current = new Set(outputFiles.map((file) => path.basename(file.path)));
  const previous = fs.existsSync(MANIFEST) ? JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) : [];
  const now = Date.now();
  for (const name of fs.readdirSync(DIST)) {
    if (!/^migrate-.*\.mjs(?:\.map)?$/.test(name) || current.has(name)) continue;
    const file = path.join(DIST, name);
    // Another build may be cleaning up at the same time: a file gone already is fine.
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    // Stale since this build: its grace period starts now.
    if (previous.includes(name)) fs.utimesSync(file, new Date(now), new Date(now));
    else if (now - stat.mtimeMs > STALE_GRACE_MS) fs.rmSync(file, { force: true });
  }
  fs.writeFileSync(MANIFEST, `${JSON.stringify([...current].sort(), null, 2)}\n`);
}

async function bundle() {
  if (!fs.existsSync(ENTRY)) throw new Error(`${path.relative(ROOT, ENTRY)} is missing: run "tsc -p tsconfig.build.json" first`);
  const result = await esbuild.build({
    entryPoints: { migrate: ENTRY },
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'migrate-[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [packagesOnDemand, rebaseImportMeta, pgOnNode],
    banner: { js: BANNER },
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  install(result.outputFiles);
}

await bundle();
