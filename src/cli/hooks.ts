/**
 * The configured hooks (`hooks.<name>` shell commands and `hooks.module`), turned into the
 * `RunHooks` the core calls. Commands run through /bin/sh in their own process group, bounded by
 * `hooks.timeout`, with the run's context as MIGRATOR_* variables; module functions get it as an
 * object. Neither ever sees a password: the target is redacted, and variables of the inherited
 * environment that hold a secret migrator knows (DATABASE_URL with a password, ...) are left out.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MigratorError } from '../core/errors.js';
import { HOOK_NAMES, type HookContext, type HookName, type RunHooks } from '../core/run/callbacks.js';
import { runShell } from '../config/shell.js';
import type { Session } from './session.js';

/** What a hook module's functions receive: the core's context plus the redacted target. */
export interface ModuleHookContext extends HookContext {
  /** Engine and URL with the password masked (`postgres postgres://app:***@db/orders`). */
  readonly target: string;
}

type HookFunction = (context: ModuleHookContext) => unknown;

/** Variables that carry migrator's own secrets: never handed to a hook, whatever their value. */
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'MIGRATOR_URL', 'MIGRATOR_PASSWORD', 'MIGRATOR_SCRATCH_URL', 'MIGRATOR_METRICS_PUSHGATEWAY']);

/** The environment of a hook command: the inherited one minus secrets, plus the run's context. */
export function hookEnvironment(session: Pick<Session, 'io' | 'target'>, context: HookContext): Record<string, string> {
  const { io } = session;
  const inherited = Object.entries(io.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !SECRET_VARIABLES.has(entry[0]) && io.secrets.scrub(entry[1]) === entry[1]);
  const optional = (name: string, value: string | null | undefined): Array<[string, string]> => (value === null || value === undefined ? [] : [[name, value]]);
  return {
    ...Object.fromEntries(inherited),
    MIGRATOR_HOOK: context.hook,
    MIGRATOR_RUN_ID: context.runId,
    MIGRATOR_ENVIRONMENT: context.environment,
    MIGRATOR_DIRECTION: context.direction,
    MIGRATOR_ACTOR: context.actor,
    MIGRATOR_TARGET: session.target,
    ...Object.fromEntries([
      ...optional('MIGRATOR_FROM_VERSION', context.fromVersion),
      ...optional('MIGRATOR_TO_VERSION', context.toVersion),
      ...optional('MIGRATOR_MIGRATION_ID', context.migration?.id),
      ...optional('MIGRATOR_MIGRATION_VERSION', context.migration?.version),
      ...optional('MIGRATOR_MIGRATION_DESCRIPTION', context.migration?.description),
      ...optional('MIGRATOR_MIGRATION_FILE', context.migration?.file),
      ...optional('MIGRATOR_ERROR_CODE', context.error?.code),
      ...optional('MIGRATOR_ERROR_MESSAGE', context.error === undefined ? undefined : io.secrets.scrub(context.error.message)),
    ]),
  };
}

function lastLines(text: string, count: number): string[] {
  return text.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line !== '').slice(-count);
}

function commandHook(session: Session, name: HookName, command: string): (context: HookContext) => Promise<void> {
  const { config, io } = session;
  return async (context) => {
    try {
      const { stdout } = await runShell(command, { timeoutMs: config.hooks.timeoutMs, cwd: io.cwd, env: hookEnvironment(session, context), signal: context.signal });
      const said = lastLines(io.secrets.scrub(stdout), 5);
      if (said.length > 0) session.logger.info({ hook: name, output: said }, `hook ${name} printed`);
    } catch (caught) {
      const failure = caught as { killed?: boolean; aborted?: boolean; overflowed?: boolean; code?: number | string; stderr?: string; message?: string };
      if (failure.aborted) throw new MigratorError('E_INTERRUPTED', `interrupted while hook ${name} ran`, { hint: 'The hook and everything it started were stopped. Run the command again when ready.' });
      const what = failure.overflowed ? 'printed more than 2 MiB and was stopped' : failure.killed ? `did not finish within ${Math.round(config.hooks.timeoutMs / 1000)}s (hooks.timeout)` : failure.code === undefined ? `could not start: ${failure.message ?? 'unknown error'}` : `failed with exit code ${String(failure.code)}`;
      const said = lastLines(io.secrets.scrub(failure.stderr ?? ''), 5);
      throw new MigratorError('E_HOOK_FAILED', `hook ${name} (hooks.${name}) ${what}${said.length > 0 ? `\n  its last words:\n    ${said.join('\n    ')}` : ''}`, {
        hint: `Run the command by hand (with the MIGRATOR_* variables docs/callbacks.md lists) to see why, or raise hooks.timeout.`,
        details: { hook: name, exitCode: failure.code ?? null, timedOut: failure.killed === true },
      });
    }
  };
}

function moduleHook(session: Session, name: HookName, fn: HookFunction, file: string): (context: HookContext) => Promise<void> {
  const { timeoutMs } = session.config.hooks;
  return async (context) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MigratorError('E_HOOK_FAILED', `hook ${name} of ${file} did not finish within ${Math.round(timeoutMs / 1000)}s (hooks.timeout)`, { hint: 'Make the function return sooner, or raise hooks.timeout.' })), timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve(fn(Object.freeze({ ...context, target: session.target }))), timeout]);
    } catch (caught) {
      if (caught instanceof MigratorError) throw caught;
      throw new MigratorError('E_HOOK_FAILED', `hook ${name} of ${file} threw: ${session.io.secrets.scrub(caught instanceof Error ? caught.message : String(caught))}`, { hint: `Fix the ${name} function of ${file}.`, cause: caught, details: { hook: name } });
    } finally {
      clearTimeout(timer);
    }
  };
}

async function importModule(session: Session, file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path.resolve(session.io.cwd, file)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MigratorError('E_CONFIG', `hooks.module: cannot load ${file}: ${session.io.secrets.scrub((error as Error).message)}`, { at: { file }, hint: 'Check the path (relative to the working directory) and that the module loads with node.' });
  }
}

/**
 * The hooks of this session's configuration, or `undefined` when none is set. Loads `hooks.module`
 * now, before anything runs. Throws E_CONFIG when the module cannot be loaded, exports a hook name
 * that is not a function, or exports none of them.
 */
export async function loadHooks(session: Session): Promise<RunHooks | undefined> {
  const { hooks } = session.config;
  const found: Partial<Record<HookName, Array<(context: HookContext) => Promise<void>>>> = {};
  const add = (name: HookName, hook: (context: HookContext) => Promise<void>): void => void (found[name] ??= []).push(hook);
  for (const name of HOOK_NAMES) {
    const command = hooks[name];
    if (command !== undefined) add(name, commandHook(session, name, command));
  }
  if (hooks.module !== undefined) {
    const file = hooks.module;
    const exported = await importModule(session, file);
    const names = HOOK_NAMES.filter((name) => exported[name] !== undefined);
    if (names.length === 0) throw new MigratorError('E_CONFIG', `hooks.module: ${file} exports none of ${HOOK_NAMES.join(', ')}`, { at: { file }, hint: 'Export functions with those names (named exports).' });
    for (const name of names) {
      const fn = exported[name];
      if (typeof fn !== 'function') throw new MigratorError('E_CONFIG', `hooks.module: ${file} exports ${name}, but not as a function`, { at: { file }, hint: `Export ${name} as a function receiving the hook context.` });
      add(name, moduleHook(session, name, fn as HookFunction, file));
    }
  }
  if (Object.keys(found).length === 0) return undefined;
  // The command of a name runs before the module's function of the same name.
  return Object.fromEntries(Object.entries(found).map(([name, list]) => [name, async (context: HookContext) => {
    for (const hook of list ?? []) await hook(context);
  }])) as RunHooks;
}
