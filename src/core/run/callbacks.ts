/**
 * Callbacks around a run: the SQL callback files of the migrations directories (Flyway's
 * `beforeMigrate.sql`, ...; `beforeUndo.sql`, ... for `down`) and the hooks the edge configured
 * (`hooks.beforeMigrate`, ...). The core only calls the hooks it is given; how they run (a shell
 * command, a JS module) is the CLI's business. Nesting, outermost first: hook, SQL callback, the
 * migrations. Before-callbacks that fail stop the run before the first migration; a failing
 * `afterMigrate.sql` fails the run (its migrations stay applied); after-hook and error-callback
 * failures are warnings that never hide the run's own outcome.
 */
import { MigratorError } from '../errors.js';
import type { Direction, EventSink } from '../events.js';
import type { RunContext, Statement } from '../model.js';
import type { Plan, PlanStep } from '../plan/index.js';
import type { Driver } from '../ports.js';
import { callbackEvent, type CallbackPhase } from '../source/callback-names.js';
import type { Callback } from '../source/callbacks.js';
import type { AuditChain } from './audit.js';
import { inLockedTransaction } from './locked-transaction.js';
import { auditEntry } from './records.js';
import { interrupted, lockLostError } from './statements.js';

/** Configured hooks have the `Migrate` names and run in both directions (`direction` says which). */
export type HookName = 'beforeMigrate' | 'beforeEachMigrate' | 'afterEachMigrate' | 'afterMigrate' | 'afterMigrateError';

export const HOOK_NAMES: ReadonlyArray<HookName> = Object.freeze(['beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError']);

/** What a hook is told about the run. Never a secret: the edge adds the redacted target. */
export interface HookContext {
  readonly hook: HookName;
  readonly runId: string;
  readonly environment: string;
  readonly direction: Direction;
  readonly actor: string;
  /** The version before the run and the one it aims at (`null`: none). */
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  /** The migration, for `beforeEachMigrate` and `afterEachMigrate`. */
  readonly migration?: { readonly id: string; readonly version: string | null; readonly description: string; readonly file: string } | undefined;
  /** What failed, for `afterMigrateError`. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** The run's signal: a hook should stop when it fires (Ctrl-C). */
  readonly signal: AbortSignal;
}

/** Hooks implemented by the edge; each throws to report a failure (a MigratorError keeps its code). */
export type RunHooks = Readonly<Partial<Record<HookName, (context: HookContext) => Promise<void>>>>;

export interface CallbackRun {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly chain: AuditChain;
  readonly direction: Direction;
  readonly plan: Plan;
  readonly callbacks: ReadonlyArray<Callback>;
  readonly hooks: RunHooks | undefined;
}

/** SQL callbacks run inside a step: in its transaction where it has one. */
export interface StepAround {
  readonly before: () => Promise<void>;
  readonly after: () => Promise<void>;
}

/** What runs around one step: `before` (hook, before its transaction; throws), `around`, `after` (hook, after commit; never throws). */
export interface StepCallbacks {
  readonly before: () => Promise<void>;
  readonly around: StepAround | undefined;
  readonly after: () => Promise<void>;
}

const HOOK_OF: Readonly<Record<CallbackPhase, HookName>> = { before: 'beforeMigrate', beforeEach: 'beforeEachMigrate', afterEach: 'afterEachMigrate', after: 'afterMigrate', afterError: 'afterMigrateError' };

/** The callback files of this run's direction, for the run.started audit row. */
export function callbacksAudit(callbacks: ReadonlyArray<Callback>, direction: Direction): Array<{ event: string; file: string; checksum: string }> {
  const family = direction === 'up' ? 'Migrate' : 'Undo';
  return callbacks.filter((c) => c.event.includes(family)).map((c) => ({ event: c.event, file: c.file, checksum: c.checksum }));
}

type Migration = PlanStep['migration'];

function failure(code: 'E_CALLBACK_FAILED' | 'E_HOOK_FAILED', caught: unknown, what: string): MigratorError {
  if (caught instanceof MigratorError) return caught;
  return new MigratorError(code, `${what} failed: ${caught instanceof Error ? caught.message : String(caught)}`, { cause: caught });
}

async function runScript(run: CallbackRun, callback: Callback, migration: Migration | undefined): Promise<void> {
  const { driver } = run;
  const started = performance.now();
  for (const [index, statement] of callback.script.statements.entries()) {
    // Let a signal handler run even with a synchronous client (better-sqlite3).
    await new Promise((resolve) => setImmediate(resolve));
    if (run.signal.aborted) throw interrupted();
    if (driver.lockLost()) throw lockLostError();
    try {
      await driver.execute(statement, { timeoutMs: callback.script.timeoutMs });
    } catch (error) {
      throw statementError(run, callback, statement, index, driver.describeError(error).message, error);
    }
  }
  run.emit({ type: 'callback.executed', name: callback.event, kind: 'sql', file: callback.file, migration: migration?.id ?? null, durationMs: performance.now() - started });
}

function statementError(run: CallbackRun, callback: Callback, statement: Statement, index: number, message: string, cause: unknown): MigratorError {
  const redact = run.context.redact ?? ((text: string) => text);
  return new MigratorError('E_CALLBACK_FAILED', `callback ${callback.event} failed at ${callback.file}:${statement.line}:${statement.column} (statement ${index + 1} of ${callback.script.statements.length}): ${redact(message)}`, {
    at: { file: callback.file, line: statement.line, column: statement.column },
    hint: 'Fix the callback file (it is not a migration: it has no history row and may be edited), then run the command again.',
    cause,
    details: { callback: callback.event, file: callback.file, statementIndex: index },
  });
}

/** Runs the SQL callbacks of `phase`; run-level ones in their own transaction where DDL is transactional. */
async function runSql(run: CallbackRun, phase: CallbackPhase, migration?: Migration): Promise<void> {
  const event = callbackEvent(phase, run.direction);
  for (const callback of run.callbacks.filter((c) => c.event === event)) {
    const own = migration === undefined && run.driver.capabilities.transactionalDdl && callback.script.transactional;
    try {
      await (own ? inLockedTransaction(run.driver, () => runScript(run, callback, migration)) : runScript(run, callback, migration));
    } catch (caught) {
      const error = failure('E_CALLBACK_FAILED', caught, `callback ${callback.file}`);
      if (migration === undefined) await reportFailure(run, { name: event, kind: 'sql', file: callback.file, migration: null }, error, phase !== 'afterError');
      throw error;
    }
  }
}

function hookContext(run: CallbackRun, hook: HookName, migration?: Migration, error?: MigratorError): HookContext {
  const { context, plan } = run;
  return Object.freeze({
    hook, runId: context.runId, environment: context.environment, direction: run.direction, actor: context.actor,
    fromVersion: plan.fromVersion, toVersion: plan.toVersion, signal: run.signal,
    ...(migration ? { migration: { id: migration.id, version: migration.version?.canonical ?? null, description: migration.description, file: migration.file } } : {}),
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
  });
}

/** Runs the hook of `phase`; throws when `fatal`, otherwise reports a failure as a warning. */
async function runHook(run: CallbackRun, phase: CallbackPhase, fatal: boolean, migration?: Migration, runError?: MigratorError): Promise<void> {
  const name = HOOK_OF[phase];
  const hook = run.hooks?.[name];
  if (!hook) return;
  const started = performance.now();
  try {
    await hook(hookContext(run, name, migration, runError));
    run.emit({ type: 'callback.executed', name, kind: 'hook', file: null, migration: migration?.id ?? null, durationMs: performance.now() - started });
  } catch (caught) {
    const error = failure('E_HOOK_FAILED', caught, `hook ${name}`);
    if (fatal && migration !== undefined) throw error; // the step's failure is reported (and audited) as the migration's
    await reportFailure(run, { name, kind: 'hook', file: null, migration: migration?.id ?? null }, error, fatal);
    if (fatal) throw error;
  }
}

async function reportFailure(run: CallbackRun, what: { name: string; kind: 'sql' | 'hook'; file: string | null; migration: string | null }, error: MigratorError, fatal: boolean): Promise<void> {
  run.emit({ type: 'callback.failed', ...what, code: error.code, message: error.message, fatal });
  // A lost lock fails closed: another run may own the metadata now.
  if (error.code === 'E_LOCK_LOST' || run.driver.lockLost()) return;
  await run.chain.append(auditEntry(run.context, { event: 'callback.failed', outcome: 'failure', version: what.migration, detail: { ...what, code: error.code, message: error.message, fatal, direction: run.direction } })).catch(() => undefined);
}

/** The callbacks around one step, or `undefined` when there are none. */
export function stepCallbacks(run: CallbackRun, step: PlanStep): StepCallbacks | undefined {
  const hasSql = (phase: CallbackPhase): boolean => run.callbacks.some((c) => c.event === callbackEvent(phase, run.direction));
  const hooks = run.hooks?.beforeEachMigrate !== undefined || run.hooks?.afterEachMigrate !== undefined;
  if (!hooks && !hasSql('beforeEach') && !hasSql('afterEach')) return undefined;
  const { migration } = step;
  return {
    before: () => runHook(run, 'beforeEach', true, migration),
    around: hasSql('beforeEach') || hasSql('afterEach') ? { before: () => runSql(run, 'beforeEach', migration), after: () => runSql(run, 'afterEach', migration) } : undefined,
    after: () => runHook(run, 'afterEach', false, migration),
  };
}

interface Outcome {
  readonly outcome: 'success' | 'failure' | 'interrupted';
  readonly error: MigratorError | undefined;
}

const outcomeOf = (error: MigratorError): Outcome['outcome'] => (error.code === 'E_INTERRUPTED' ? 'interrupted' : 'failure');

/**
 * Runs `steps` between the before- and after-callbacks; on a failure (not an interruption, nor a
 * lost lock) runs the error callbacks, whose own failures are only reported. `failed` builds the
 * result of a run stopped before its first step.
 */
export async function aroundRun<R extends Outcome>(run: CallbackRun, steps: () => Promise<R>, failed: (error: MigratorError, outcome: Outcome['outcome']) => R): Promise<R> {
  let result: R;
  try {
    await runHook(run, 'before', true);
    await runSql(run, 'before');
    result = await steps();
    if (result.outcome === 'success') {
      try {
        await runSql(run, 'after');
      } catch (caught) {
        const error = failure('E_CALLBACK_FAILED', caught, 'afterMigrate');
        result = { ...result, outcome: outcomeOf(error), error };
      }
      await runHook(run, 'after', false);
    }
  } catch (caught) {
    const error = failure('E_CALLBACK_FAILED', caught, 'callback');
    result = failed(error, outcomeOf(error));
  }
  const error = result.error;
  if (result.outcome === 'failure' && error && error.code !== 'E_LOCK_LOST' && !run.driver.lockLost()) {
    await runSql(run, 'afterError').catch(() => undefined);
    await runHook(run, 'afterError', false, undefined, error);
  }
  return result;
}
