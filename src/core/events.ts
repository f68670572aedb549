/**
 * The core reports what it does as typed events and never prints. The edges (CLI renderers, pino
 * logs, metrics, progress) subscribe to the one stream. Names are `noun.verb`, past tense.
 */
import type { Problem } from './errors.js';

export type Direction = 'up' | 'down';

export interface LockHolderInfo {
  readonly owner?: string;
  readonly host?: string;
  readonly pid?: number;
  readonly user?: string;
  readonly since?: string;
}

export type MigratorEvent =
  | { readonly type: 'run.started'; readonly runId: string; readonly command: string; readonly direction: Direction; readonly pending: number; readonly dryRun: boolean }
  | { readonly type: 'run.finished'; readonly runId: string; readonly direction: Direction; readonly count: number; readonly durationMs: number; readonly outcome: 'success' | 'failure' | 'interrupted'; readonly fromVersion: string | null; readonly toVersion: string | null }
  | { readonly type: 'lock.waiting'; readonly waitedMs: number; readonly holder: LockHolderInfo | undefined }
  | { readonly type: 'lock.acquired'; readonly waitedMs: number }
  | { readonly type: 'lock.released' }
  /** `migrate unlock` took over a stale lease (`reason`) from `holder`, to release it. */
  | { readonly type: 'lock.broken'; readonly holder: LockHolderInfo; readonly reason: 'holder-gone' | 'expired' | 'forced' }
  | { readonly type: 'metadata.prepared'; readonly created: boolean }
  | { readonly type: 'drift.found'; readonly lines: number; readonly first: ReadonlyArray<string> }
  | { readonly type: 'recovery.point'; readonly kind: 'wal_lsn' | 'binlog' | 'backup_file' | 'none'; readonly value: string | null; readonly detail: string }
  | { readonly type: 'migration.started'; readonly id: string; readonly version: string | null; readonly direction: Direction; readonly file: string; readonly statements: number }
  /** `rows`: rows the statement wrote, as the driver counted them (`ExecuteResult.rows`); absent or `undefined` when unknown. */
  | { readonly type: 'statement.executed'; readonly id: string; readonly index: number; readonly line: number; readonly durationMs: number; readonly rows?: number | undefined }
  | { readonly type: 'migration.applied'; readonly id: string; readonly version: string | null; readonly description: string; readonly durationMs: number; readonly statements: number }
  | { readonly type: 'migration.reverted'; readonly id: string; readonly version: string | null; readonly description: string; readonly durationMs: number; readonly statements: number }
  | { readonly type: 'migration.failed'; readonly id: string; readonly version: string | null; readonly direction: Direction; readonly durationMs: number; readonly statementIndex: number; readonly code: string; readonly message: string }
  | { readonly type: 'statement.recovered'; readonly id: string; readonly index: number; readonly tookEffect: boolean }
  | { readonly type: 'migration.retrying'; readonly id: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'signal.received'; readonly signal: string }
  /** The schema the run left behind was recorded for drift checks (`migrate verify`). */
  | { readonly type: 'snapshot.recorded'; readonly fingerprint: string; readonly objects: number }
  /** It could not be: the run's outcome stands, but drift checks compare with an older snapshot. */
  | { readonly type: 'snapshot.failed'; readonly message: string }
  | { readonly type: 'problem.found'; readonly problem: Problem }
  /** A scripted migration wrote to `ctx.log` (its data is the script's own: it must not hold secrets). */
  | { readonly type: 'script.logged'; readonly id: string; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string; readonly data?: Readonly<Record<string, unknown>> | undefined }
  /** A SQL callback file (`kind: 'sql'`) or a configured hook (`kind: 'hook'`, `file` null) ran; `migration` for the each-callbacks. */
  | { readonly type: 'callback.executed'; readonly name: string; readonly kind: 'sql' | 'hook'; readonly file: string | null; readonly migration: string | null; readonly durationMs: number }
  /** One failed: `fatal` when it stopped the run (before-callbacks, SQL after-callbacks), otherwise a warning. */
  | { readonly type: 'callback.failed'; readonly name: string; readonly kind: 'sql' | 'hook'; readonly file: string | null; readonly migration: string | null; readonly code: string; readonly message: string; readonly fatal: boolean }
  /**
   * A `ctx.batch` job starts (or resumes: `resumedFrom` rows were processed by an earlier run).
   * `total` is the rows it will have processed when done, counted when it starts.
   */
  | { readonly type: 'batch.started'; readonly id: string; readonly name: string; readonly table: string; readonly total: number; readonly resumedFrom: number }
  /**
   * A batch committed with its checkpoint (`done` on the job's last event). `rows` and `batch` count
   * the whole job; the rate is this run's; `etaMs` is undefined until the rate is known.
   */
  | { readonly type: 'batch.progress'; readonly id: string; readonly name: string; readonly batch: number; readonly rows: number; readonly total: number; readonly rowsPerSecond: number; readonly etaMs: number | undefined; readonly done: boolean }
  /** `migrate status` compared files with history: `pending` migrations (and outdated repeatables) await `up`. */
  | { readonly type: 'status.inspected'; readonly pending: number };

export type EventType = MigratorEvent['type'];

/** Receives events. Must not throw; a listener that fails is the listener's bug, not the run's. */
export type EventSink = (event: MigratorEvent) => void;

/** A sink that fans out to several listeners, isolating each from the others' failures. */
export function createEventBus(): { readonly emit: EventSink; subscribe(listener: EventSink): () => void } {
  const listeners = new Set<EventSink>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A broken renderer must never change the outcome of a migration run.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
