/**
 * Runs the runbooks in runbooks/*.md verbatim, as an operator would, against real engines.
 *
 * The convention (runbooks/README.md):
 * - a fenced block with info string `sh` holds commands. The harness runs the whole block as one
 *   bash script under `set -euo pipefail`, in the project directory, with `migrate` on PATH and the
 *   environment the runbook describes at its top (DATABASE_URL, ~/.my.cnf);
 * - a command line ending in `# exits N` is expected to exit with N (any other code fails);
 * - `engine=postgres,mysql,sqlite` and `case=a,b` after the language restrict a block to the
 *   scenarios of those engines / with one of those cases; a block without them runs in every
 *   scenario of the runbook;
 * - a block with `file=<path>` (any language) is the new content of that file: "edit the file so it
 *   reads". The harness writes it when it reaches the block;
 * - `text` blocks are output, `sql`/`yaml` blocks without `file=` are illustrations. `console`
 *   blocks are not allowed, and no `text` line starts with `$ `, so no command escapes the test.
 *
 * The broken state a runbook is for is built by the test's scenario setup, never by the runbook.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { BIN, cleanEnv, jsonDoc, type Cleanup } from '../e2e/helpers.js';
import { createDatabase, findServer, type Server } from '../support/databases.js';
import { conventionProblems, runbook, script, selects, uncovered, type Block, type Engine } from './blocks.js';

export { runbook, type Block, type Engine } from './blocks.js';

/** A scenario: one engine, the cases it follows through the runbook, its setup and its end state. */
export interface Scenario {
  readonly name: string;
  readonly engine: Engine;
  readonly cases: ReadonlyArray<string>;
  /** Builds the broken state the runbook is for. */
  setup(ctx: Ctx): Promise<void>;
  /** Asserts the end state after the runbook's blocks ran. */
  check(ctx: Ctx): Promise<void>;
  /** Per-block timeout (default 60 s). */
  readonly timeoutMs?: number;
  /** Called after each block ran: the world moving on between two steps (a blocker finishing). */
  afterBlock?(block: Block, ctx: Ctx): Promise<void>;
}

export interface ShResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a scenario's setup, blocks and checks share. */
export interface Ctx {
  readonly engine: Engine;
  /** The project directory: migrations/ inside, the operator's working directory. */
  readonly dir: string;
  /** DATABASE_URL (server engines); undefined on SQLite (the default sqlite:./migrator.db). */
  readonly url: string | undefined;
  /** The server database's name; 'migrator.db' on SQLite. */
  readonly database: string;
  readonly env: NodeJS.ProcessEnv;
  /** Writes migrations/<name> (or any path relative to the project). */
  write(relative: string, content: string): void;
  /** Runs a bash script in the project, as a block would; does not throw. */
  sh(script: string, timeoutMs?: number): Promise<ShResult>;
  /** Runs a bash script and throws unless it exits 0; returns stdout. */
  must(script: string): Promise<string>;
  /** Runs `migrate <args>` (a bash word list) and returns the result. */
  migrate(args: string): Promise<ShResult>;
  /** One SQL statement through the engine's client, tab-separated rows without headers. */
  query(sql: string): Promise<string>;
  /** `migrate status --json` (must exit 0). */
  status(): Promise<StatusDoc>;
  /** Lines each block printed, in order, for assertions on what the operator saw. */
  readonly transcript: Array<{ block: Block; result: ShResult }>;
}

export interface StatusDoc {
  readonly ok: boolean;
  readonly current: string | null;
  readonly pending: number;
  readonly migrations: ReadonlyArray<{ readonly version: string; readonly state: string }>;
  readonly problems: ReadonlyArray<{ readonly code: string }>;
}

/** The server of an engine, or why the scenario is skipped (throws under CI=true). */
export async function serverFor(engine: Engine): Promise<{ server: Server | undefined; skip: string | undefined }> {
  if (engine === 'sqlite') return { server: undefined, skip: undefined };
  return findServer(engine);
}

function runBash(script: string, dir: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`script did not finish within ${timeoutMs} ms:\n${script}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}


/**
 * Builds a scenario's world: a project directory, a fresh database, a HOME with ~/.my.cnf for the
 * MySQL clients, and a bin/ with `migrate` (a wrapper that runs the built CLI) first on PATH.
 */
export async function createCtx(engine: Engine, server: Server | undefined, label: string, cleanup: Cleanup): Promise<Ctx> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'migrator-runbook-'));
  cleanup.onTestFinished(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'project');
  const home = path.join(root, 'home');
  const bin = path.join(root, 'bin');
  for (const d of [dir, home, bin, path.join(dir, 'migrations')]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(bin, 'migrate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });

  let url: string | undefined;
  let database = 'migrator.db';
  if (engine !== 'sqlite') {
    if (!server) throw new Error(`${engine}: no server`);
    const created = await createDatabase(server, label);
    cleanup.onTestFinished(() => created.drop());
    url = created.url;
    database = created.name;
    if (engine === 'mysql') {
      const parsed = new URL(created.url);
      const client = [
        '[client]',
        `host=${parsed.hostname}`,
        `port=${parsed.port || '3306'}`,
        `user=${decodeURIComponent(parsed.username)}`,
        ...(parsed.password ? [`password=${decodeURIComponent(parsed.password)}`] : []),
        '[mysql]',
        `database=${database}`,
      ];
      fs.writeFileSync(path.join(home, '.my.cnf'), client.join('\n') + '\n', { mode: 0o600 });
    }
  }
  const env = cleanEnv({
    PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`,
    HOME: home,
    DATABASE_URL: url,
    USER: 'oncall',
    LOGNAME: 'oncall',
    PAGER: 'cat',
    PSQL_PAGER: 'cat',
  });

  const sh = (text: string, timeoutMs = 60_000): Promise<ShResult> => runBash(text, dir, env, timeoutMs);
  const must = async (text: string): Promise<string> => {
    const result = await sh(script(text));
    if (result.code !== 0) throw new Error(`setup script exited ${String(result.code)}:\n${text}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    return result.stdout;
  };
  const ctx: Ctx = {
    engine,
    dir,
    url,
    database,
    env,
    transcript: [],
    write(relative, content) {
      const file = relative.includes('/') ? path.join(dir, relative) : path.join(dir, 'migrations', relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    },
    sh,
    must,
    migrate: (args) => sh(`migrate ${args}`),
    query(sql) {
      const quoted = `'${sql.replace(/'/g, `'\\''`)}'`;
      if (engine === 'postgres') return must(`psql "$DATABASE_URL" -X -v ON_ERROR_STOP=1 -At -F $'\\t' -c ${quoted}`);
      if (engine === 'mysql') return must(`mysql -BN -e ${quoted}`);
      return must(`sqlite3 -bail -separator $'\\t' migrator.db ${quoted}`);
    },
    async status() {
      const result = await sh('migrate status --json --log-level warn');
      if (result.code !== 0) throw new Error(`status exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
      return jsonDoc<StatusDoc>(result.stdout);
    },
  };
  return ctx;
}

/** Runs the blocks of `blocks` that `scenario` selects, in order; throws at the first failure. */
export async function runBlocks(ctx: Ctx, scenario: Scenario, blocks: ReadonlyArray<Block>, file: string): Promise<void> {
  for (const block of blocks) {
    if (!selects(scenario, block)) continue;
    const target = block.attrs['file'];
    if (target !== undefined) {
      ctx.write(target, block.body);
      continue;
    }
    const result = await ctx.sh(script(block.body), scenario.timeoutMs ?? 60_000);
    ctx.transcript.push({ block, result });
    await scenario.afterBlock?.(block, ctx);
    const dump = process.env['RUNBOOK_TRANSCRIPT_DIR'];
    if (dump) fs.appendFileSync(path.join(dump, `${path.basename(file, '.md')}.${scenario.name}.txt`), `### line ${block.line}\n${block.body}--- exit ${String(result.code)}\n${result.stdout}--- stderr\n${result.stderr}\n`);
    if (result.code !== 0) {
      throw new Error(
        `${path.basename(file)}:${block.line} (${scenario.name}): the block exited ${String(result.code)}\n` +
        `--- block\n${block.body}--- stdout\n${result.stdout}--- stderr\n${result.stderr}`,
      );
    }
  }
}

/** Everything the blocks printed on stdout, for assertions. */
export function printed(ctx: Ctx): string {
  return ctx.transcript.map((entry) => entry.result.stdout).join('');
}

/**
 * Declares a runbook's suite: one test that checks the convention and that every command block is
 * run by some scenario, then one test per scenario (skipped with findServer's one-line reason when
 * its engine has no server; under CI=true a missing server fails the file instead).
 */
export async function runbookSuite(name: string, scenarios: ReadonlyArray<Scenario>): Promise<void> {
  const { file, blocks } = runbook(name);
  const servers = new Map<Engine, { server: Server | undefined; skip: string | undefined }>();
  for (const scenario of scenarios) {
    if (!servers.has(scenario.engine)) {
      const found = await serverFor(scenario.engine);
      if (found.skip !== undefined) console.warn(found.skip);
      servers.set(scenario.engine, found);
    }
  }
  describe.concurrent(`runbooks/${name}`, () => {
    it('follows the block convention, and a scenario runs every command block', ({ expect }) => {
      expect(conventionProblems(blocks)).toEqual([]);
      expect(uncovered(blocks, scenarios).map((block) => `line ${block.line}: ${block.body.split('\n')[0] ?? ''}`)).toEqual([]);
    });
    for (const scenario of scenarios) {
      const found = servers.get(scenario.engine);
      it.skipIf(found?.skip !== undefined)(scenario.name, async ({ onTestFinished }) => {
        const ctx = await createCtx(scenario.engine, found?.server, `rb_${scenario.name}`, { onTestFinished });
        await scenario.setup(ctx);
        await runBlocks(ctx, scenario, blocks, file);
        await scenario.check(ctx);
      }, 120_000);
    }
  });
}
