/**
 * `ctx.batch`: a resumable batched backfill (docs/batches.md). The job pages through a table by a
 * unique key (keyset pagination: each batch starts after the last key of the one before, so no
 * row is skipped or seen twice however the table is indexed), and runs each batch in its own
 * transaction together with its checkpoint row in migrator_progress. A crash or Ctrl-C therefore
 * loses at most the batch in flight, which rolls back with its checkpoint; `migrate up --resume`
 * continues after the last committed batch. Engine-neutral: identifiers are quoted by the driver's
 * syntax, values bound in the driver's parameter style.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { BatchCheckpoint, Driver } from '../ports.js';
import type { BatchKey, BatchOptions, BatchRange, BatchResult, QueryResult } from '../scripted.js';
import { placeholderValueProblem, quoteIdentifier } from '../source/placeholders.js';
import { interrupted, lockLostError } from './statements.js';

/** What a finished (or resumed-and-finished) job reports to the migration's audit row. */
export interface BatchSummary {
  readonly name: string;
  readonly table: string;
  readonly rowsProcessed: number;
  readonly batches: number;
  readonly resumedFrom: number;
}

/** The batch jobs of one run of one migration function. */
export interface BatchState {
  /** Checkpoints a resumed migration starts from, by job name; empty for a fresh run. */
  readonly checkpoints: ReadonlyMap<string, BatchCheckpoint>;
  /** Filled as jobs finish: what the audit row reports. */
  readonly finished: BatchSummary[];
  /** Names started in this run: a second job with the same name would share its checkpoint. */
  readonly names: Set<string>;
  /** The batch whose transaction is open, if any: a failure names it. */
  current: { readonly name: string; readonly range: BatchRange } | undefined;
  /** The job running, if any: only calls made from inside it may use the connection meanwhile. */
  running: { readonly name: string } | undefined;
  /** Jobs not settled yet: the function that started them may have returned without awaiting them. */
  readonly pending: Set<Promise<unknown>>;
  /** Set once the migration function has settled: a job still running stops before its next batch. */
  closed: boolean;
}

/** Which job an async call chain belongs to: a job's own queries and its `apply` run inside it. */
const jobScope = new AsyncLocalStorage<{ readonly name: string }>();

/**
 * Why a ctx call may not run now, or `undefined`: while a job runs, a call from outside it (a
 * `Promise.all` beside `ctx.batch`) would run inside the job's open batch transaction, and commit
 * or roll back with a batch it does not belong to.
 */
export function foreignCall(state: BatchState): string | undefined {
  const job = state.running;
  if (job === undefined || jobScope.getStore() === job) return undefined;
  return `a ctx call was made while ctx.batch "${job.name}" runs, from outside its apply: it would share the batch's transaction. Await the job before making other calls, and run batch jobs one after another`;
}

export interface BatchDeps {
  readonly driver: Driver;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly migrationId: string;
  readonly file: string;
  readonly runId: string;
  readonly now: () => Date;
  /** Whether the migration runs inside one transaction: then a batch cannot commit on its own. */
  readonly transactional: boolean;
  readonly state: BatchState;
  /** `ctx.query`: the job's own reads go through it, so they are counted and checked like any ctx call. */
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<QueryResult>;
}

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const MAX_SIZE = 1_000_000;

/**
 * A checkpoint's key as stored: JSON that keeps the key's type (a bigint as its digits); `{}`
 * before the first batch committed.
 */
export function encodeKey(key: BatchKey | undefined): string {
  if (key === undefined) return '{}';
  return JSON.stringify(typeof key === 'bigint' ? { bigint: key.toString() } : { value: key });
}

/** The key an {@link encodeKey} text stands for; throws when migrator_progress was edited by hand. */
export function decodeKey(text: string): BatchKey | undefined {
  const parsed = JSON.parse(text) as { value?: unknown; bigint?: unknown } | null;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`unreadable key ${text}`);
  if (Object.keys(parsed).length === 0) return undefined;
  if (typeof parsed.bigint === 'string' && /^-?\d+$/.test(parsed.bigint)) return BigInt(parsed.bigint);
  if (typeof parsed.value === 'number' || typeof parsed.value === 'string') return parsed.value;
  throw new Error(`unreadable key ${text}`);
}

function keyOf(value: unknown, key: string): BatchKey {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new TypeError(`ctx.batch: the key column ${key} returned ${value}, beyond 2^53: the client rounded it, so pages would repeat or skip rows. Page by a key below 2^53, or one the client returns exactly (as text)`);
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return value;
  const what = value instanceof Date ? 'a date' : Buffer.isBuffer(value) ? 'binary data' : typeof value;
  throw new TypeError(`ctx.batch: the key column ${key} returned ${what}: page by a unique integer or text column (the primary key)`);
}

interface CheckedOptions {
  readonly name: string;
  readonly table: string;
  readonly key: string;
  readonly size: number;
  readonly where: string | undefined;
  readonly pauseMs: number;
  readonly apply: BatchOptions['apply'];
}

/** Checks the options; a mistake is the script's bug, thrown as a TypeError (the migration fails with it). */
function checked(options: BatchOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('ctx.batch: pass an options object { name, table, key, size, where, apply }');
  const { name, table, key, where, apply } = options;
  const size = options.size ?? 1000;
  const pauseMs = options.pauseMs ?? 0;
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`ctx.batch: name ${JSON.stringify(name)} must be 1 to 100 letters, digits or _ . : -`);
  const tableProblem = typeof table === 'string' ? placeholderValueProblem('identifier', table) : 'is not a string';
  if (tableProblem) throw new TypeError(`ctx.batch "${name}": table ${tableProblem}`);
  const keyProblem = typeof key === 'string' && !key.includes('.') ? placeholderValueProblem('identifier', key) : `${JSON.stringify(key)} is not a column name`;
  if (keyProblem) throw new TypeError(`ctx.batch "${name}": key ${keyProblem}`);
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SIZE) throw new TypeError(`ctx.batch "${name}": size must be a whole number from 1 to ${MAX_SIZE.toLocaleString('en-US')}, not ${String(size)}`);
  if (where !== undefined && (typeof where !== 'string' || where.trim() === '')) throw new TypeError(`ctx.batch "${name}": where must be a SQL condition (a non-empty string) or left out`);
  if (typeof pauseMs !== 'number' || !Number.isFinite(pauseMs) || pauseMs < 0) throw new TypeError(`ctx.batch "${name}": pauseMs must be a number of milliseconds >= 0`);
  if (typeof apply !== 'function') throw new TypeError(`ctx.batch "${name}": apply must be a function (batch) => ... that processes one batch`);
  return { name, table, key, size, where, pauseMs, apply };
}

/** Waits `ms`, or less when the run is interrupted meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The SQL of one job: its next batch's bounds and the rows left, keyset-paginated. */
function statements(driver: Driver, options: CheckedOptions) {
  const table = quoteIdentifier(options.table, driver.syntax);
  const key = quoteIdentifier(options.key, driver.syntax);
  const param = driver.parameterStyle === 'dollar' ? '$1' : '?';
  const condition = (after: boolean): string => {
    const parts = [...(after ? [`${key} > ${param}`] : []), ...(options.where === undefined ? [] : [`(${options.where})`])];
    return parts.length === 0 ? '' : ` WHERE ${parts.join(' AND ')}`;
  };
  return {
    // The LIMIT is a validated integer written into the text: MySQL's prepared statements refuse a bound one.
    bounds: (after: boolean) => `SELECT COUNT(*) AS n, MIN(k) AS lo, MAX(k) AS hi FROM (SELECT ${key} AS k FROM ${table}${condition(after)} ORDER BY ${key} LIMIT ${options.size}) AS migrator_batch`,
    remaining: (after: boolean) => `SELECT COUNT(*) AS n FROM ${table}${condition(after)}`,
  };
}

/**
 * Runs one `ctx.batch` job to its end and returns what it did. Throws (failing the migration) on
 * a bad option, a transactional migration, an interrupt or lost lock between batches (as
 * MigratorError E_INTERRUPTED / E_LOCK_LOST), or whatever `apply` or the engine threw, after
 * rolling back the batch in flight: the checkpoint then still names the last committed batch.
 */
export async function runBatchJob(raw: BatchOptions, deps: BatchDeps): Promise<BatchResult> {
  const options = checked(raw);
  const { state } = deps;
  const { name } = options;
  if (deps.transactional) {
    throw new Error(`ctx.batch "${name}" commits each batch with its checkpoint, so the migration must run outside one transaction: add \`export const transaction = false\` to ${deps.file}`);
  }
  if (state.running) throw new TypeError(`ctx.batch "${name}" started while ctx.batch "${state.running.name}" runs: they would share one connection and its transactions. Await each job before starting the next`);
  if (state.names.has(name)) throw new TypeError(`ctx.batch: the name "${name}" is used twice in ${deps.file}: each job needs its own checkpoint`);
  state.names.add(name);
  const job = { name };
  state.running = job;
  const running = jobScope.run(job, () => runJob(options, deps)).finally(() => {
    // `current` stays set after a failure: the migration's error names that batch.
    state.running = undefined;
    state.pending.delete(running);
  });
  state.pending.add(running);
  return running;
}

/**
 * After the migration function settled: waits for a job it did not await (it stops before its
 * next batch) and returns why the migration must fail because of it, or `undefined`.
 */
export async function settleJobs(state: BatchState, entry: string): Promise<unknown> {
  if (state.pending.size === 0) return undefined;
  const names = state.running?.name;
  state.closed = true;
  const outcomes = await Promise.allSettled([...state.pending]);
  const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  return rejected?.reason ?? new Error(`ctx.batch "${names ?? '?'}" was still running when ${entry}(ctx) returned: await every ctx.batch`);
}

async function runJob(options: CheckedOptions, deps: BatchDeps): Promise<BatchResult> {
  const { driver, state } = deps;
  const { name } = options;

  const checkpoint = state.checkpoints.get(name);
  if (checkpoint && (checkpoint.table !== options.table || checkpoint.key !== options.key)) {
    throw new Error(`ctx.batch "${name}": its checkpoint was made paging ${checkpoint.table} by ${checkpoint.key}, but the job now pages ${options.table} by ${options.key}, where its last key means nothing. Put table and key back to resume, or give the job a new name to start it over (its rows would then be processed again)`);
  }
  const resumedFrom = checkpoint?.rows ?? 0;
  const summary = (rows: number, batches: number): BatchResult => {
    state.finished.push({ name, table: options.table, rowsProcessed: rows, batches, resumedFrom });
    return { rows, batches, resumedFrom };
  };
  if (checkpoint?.finishedAt) {
    // Finished by an earlier run of this migration that failed later: nothing left to do.
    deps.emit({ type: 'batch.started', id: deps.migrationId, name, table: options.table, total: checkpoint.rows, resumedFrom });
    deps.emit({ type: 'batch.progress', id: deps.migrationId, name, batch: checkpoint.batches, rows: checkpoint.rows, total: checkpoint.rows, rowsPerSecond: 0, etaMs: 0, done: true });
    return summary(checkpoint.rows, checkpoint.batches);
  }

  const sql = statements(driver, options);
  let after: BatchKey | undefined;
  try {
    after = checkpoint ? decodeKey(checkpoint.lastKey) : undefined;
  } catch (error) {
    throw new MigratorError('E_METADATA_VERSION', `the checkpoint of ctx.batch "${name}" of ${deps.migrationId} in migrator_progress is unreadable: ${(error as Error).message}`, {
      hint: `It was edited by hand. Delete the row (DELETE FROM migrator_progress WHERE version = '${deps.migrationId}' AND name = '${name}') to start the job over, once you know its work is safe to repeat.`,
    });
  }
  const args = (): unknown[] => (after === undefined ? [] : [after]);
  const save = (lastKey: BatchKey | undefined, rowsDone: number, batchesDone: number, finished: boolean): Promise<void> => {
    const at = deps.now().toISOString();
    return driver.saveCheckpoint({ version: deps.migrationId, name, table: options.table, key: options.key, lastKey: encodeKey(lastKey), rows: rowsDone, batches: batchesDone, runId: deps.runId, updatedAt: at, finishedAt: finished ? at : null });
  };
  // A started job has a checkpoint at once: it is what lets `up --resume` run up(ctx) again.
  if (!checkpoint) await save(undefined, 0, 0, false);
  const left = await deps.query(sql.remaining(after !== undefined), args());
  const total = resumedFrom + Number(left.rows[0]?.['n'] ?? 0);
  deps.emit({ type: 'batch.started', id: deps.migrationId, name, table: options.table, total, resumedFrom });

  let rows = resumedFrom;
  let batches = checkpoint?.batches ?? 0;
  const started = performance.now();
  const progress = (done: boolean): void => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? (rows - resumedFrom) / seconds : 0;
    const etaMs = done ? 0 : rate > 0 ? Math.max(0, ((total - rows) / rate) * 1000) : undefined;
    deps.emit({ type: 'batch.progress', id: deps.migrationId, name, batch: batches, rows, total, rowsPerSecond: Math.round(rate), etaMs, done });
  };

  for (;;) {
    if (state.closed) throw new Error(`ctx.batch "${name}" was still running when the migration function returned or failed, so it stopped before batch ${batches + 1}: await every ctx.batch`);
    if (deps.signal.aborted) throw interrupted();
    if (driver.lockLost()) throw lockLostError();
    const bounds = (await deps.query(sql.bounds(after !== undefined), args())).rows[0] ?? {};
    const count = Number(bounds['n'] ?? 0);
    if (count === 0) break;
    const range: BatchRange = Object.freeze({ first: keyOf(bounds['lo'], options.key), last: keyOf(bounds['hi'], options.key), rows: count, number: batches + 1 });
    await driver.begin();
    state.current = { name, range };
    try {
      await options.apply(range);
      await save(range.last, rows + count, batches + 1, false);
      await driver.assertLock();
      await driver.commit();
    } catch (error) {
      await driver.rollback().catch(() => undefined);
      throw error;
    }
    state.current = undefined;
    rows += count;
    batches += 1;
    after = range.last;
    progress(false);
    // A short batch was the last one: no need to ask for another.
    if (count < options.size) break;
    if (options.pauseMs > 0) await pause(options.pauseMs, deps.signal);
  }
  await save(after, rows, batches, true);
  progress(true);
  return summary(rows, batches);
}
