/**
 * The release form of the CLI: `npm run build` bundles it into dist/migrate.mjs
 * (scripts/bundle.mjs) and bin/migrate runs that file, not the ~200 modules tsc writes next to it
 * (docs/performance.md#start-up). A module resolve hook (node --import) records what the CLI loads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'vitest';
import { EXIT, Project, REPO_ROOT, runCli } from './helpers.js';

const BUNDLE = path.join(REPO_ROOT, 'dist', 'migrate.mjs');

/** Runs `migrate <args>` in `project` and returns the exit code and every module URL Node resolved. */
async function runRecording(project: Project, args: ReadonlyArray<string>): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const log = path.join(project.dir, 'resolved.log');
  const hooks = path.join(project.dir, 'hooks.mjs');
  fs.writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.RESOLVE_LOG, result.url + '\\n');\n  return result;\n}\n`);
  fs.writeFileSync(path.join(project.dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const result = await runCli(args, { cwd: project.dir, env: { NODE_OPTIONS: `--import=${path.join(project.dir, 'register.mjs')}`, RESOLVE_LOG: log } });
  const loaded = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('file:')) : [];
  return { code: result.code, stderr: result.stderr, loaded };
}

const ours = (urls: ReadonlyArray<string>): string[] => urls.filter((url) => url.includes('/dist/')).map((url) => url.slice(url.indexOf('/dist/') + 1));
/** dist/migrate.mjs and its chunks (dist/migrate-<name>-<hash>.mjs), never tsc's dist/main.js & co. */
const bundled = (file: string): boolean => /^dist\/migrate(?:-[\w-]+)?\.mjs$/.test(file);

describe('the bundled CLI', () => {
  it('is built by npm run build, as one ES module file', ({ expect }) => {
    expect(fs.existsSync(BUNDLE), 'dist/migrate.mjs is missing: "npm run build" must run scripts/bundle.mjs').toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.build).toMatch(/scripts\/bundle\.mjs/);
  });

  it('is what bin/migrate runs: --version loads dist/migrate.mjs and none of the compiled modules', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const { code, stderr, loaded } = await runRecording(project, ['--version']);
    expect(code, stderr).toBe(EXIT.ok);
    const modules = ours(loaded);
    expect(modules[0]).toBe('dist/migrate.mjs');
    expect(modules.every(bundled), modules.join('\n')).toBe(true);
  });

  it('loads a driver only as a chunk of the bundle, when a command needs the database', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__t.sql', 'CREATE TABLE t (id INT);\n');
    const { code, stderr, loaded } = await runRecording(project, ['status']);
    expect(code, stderr).toBe(EXIT.ok);
    const modules = ours(loaded);
    expect(modules[0]).toBe('dist/migrate.mjs');
    expect(modules.every(bundled), modules.join('\n')).toBe(true);
    expect(modules.some((file) => file.startsWith('dist/migrate-driver-')), modules.join('\n')).toBe(true);
  });
});
