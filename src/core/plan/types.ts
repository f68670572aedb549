/**
 * The planner's data: what `status` shows ({@link Inspection}) and what `up`/`down` run ({@link Plan}).
 * Plain, frozen data: `status`, `--dry-run` and `validate` render the same objects the executor runs.
 */
import type { Problem } from '../errors.js';
import type { Direction } from '../events.js';
import type { HistoryRow, Migration, Script } from '../model.js';
import type { DdlScope } from '../ports.js';

/** Choices from configuration that change what the planner accepts. */
export interface Policy {
  /** `order: allow-out-of-order`: a pending version lower than the highest applied one is planned, not refused. */
  readonly outOfOrder: boolean;
}

/**
 * The state of one migration as `status` shows it.
 * - `applied`: applied and unchanged (also versions covered by a baseline row, and baseline rows).
 * - `pending`: not applied (no row, or a `rolled_back` row); `up` will apply it.
 * - `failed` / `in_progress`: a non-transactional run stopped part-way; needs `up --resume` or `repair`.
 * - `checksum_mismatch`: applied, but its file changed since.
 * - `missing_file`: applied, but its file is gone.
 * - `unknown`: applied version higher than every file: migrated by a newer checkout.
 * - `out_of_order`: pending but lower than the highest applied version, and the policy refuses it.
 * - `outdated`: a repeatable whose checksum changed since it was applied; `up` will reapply it.
 */
export type EntryState =
  | 'applied'
  | 'pending'
  | 'failed'
  | 'in_progress'
  | 'checksum_mismatch'
  | 'missing_file'
  | 'unknown'
  | 'out_of_order'
  | 'outdated';

/** One migration known from files, history or both. */
export interface StatusEntry {
  /** Identity: canonical version, or `R__<description>` for a repeatable. */
  readonly id: string;
  /** Canonical version, `undefined` for repeatables. */
  readonly version: string | undefined;
  readonly description: string;
  /** `baseline` when the history row is a baseline, else the file's kind (the row's when there is no file). */
  readonly kind: Migration['kind'] | 'baseline';
  readonly state: EntryState;
  /** The file, `undefined` for history-only entries (`missing_file`, `unknown`, baseline rows). */
  readonly migration: Migration | undefined;
  /** The row that decides the state (latest batch wins), `undefined` when never recorded. */
  readonly history: HistoryRow | undefined;
  /** Has a down script and is not marked `-- migrate:irreversible`. */
  readonly reversible: boolean;
}

/** The result of comparing files with history: everything `status` and `validate` need. */
export interface Inspection {
  /**
   * Every migration known from files or history, in plan order: entries with a history row first
   * (by batch, then history order), then pending ones in topological order. History-only rows
   * (`missing_file`, `unknown`, baseline) are placed among the recorded ones by version.
   */
  readonly entries: ReadonlyArray<StatusEntry>;
  /** Every problem found, sorted with `sortProblems` (file problems first). Empty when all is well. */
  readonly problems: ReadonlyArray<Problem>;
  /** The highest applied version id (canonical), baseline and unknown rows included; `null` when none. */
  readonly current: string | null;
}

/** One migration to run, in which direction, with which script. */
export interface PlanStep {
  readonly migration: Migration;
  /**
   * `reapply` is an outdated repeatable; `revert` runs the down script; `resume` continues a failed
   * or interrupted journaled `up` after its last recorded statement (`migrate up --resume`).
   */
  readonly action: 'apply' | 'reapply' | 'revert' | 'resume';
  /** `migration.up` for apply/reapply/resume, `migration.down` for revert. */
  readonly script: Script;
  /** For `resume`: statements already applied (run from this 0-based index) and their recorded running hash. */
  readonly resume?: {
    readonly from: number;
    readonly appliedHash: string | null;
    /**
     * The statement that was running when the run died (0-based, equal to `from`), with the schema
     * fingerprint taken just before it: the executor compares fingerprints to learn whether it completed.
     */
    readonly inFlight?: InFlight | undefined;
  } | undefined;
}

/**
 * A DDL statement that was running when its run died: its 0-based index, and the schema
 * fingerprint taken just before it: of the objects in `scope` when the statement named them
 * (core/run/ddl-scope.ts), else of the whole schema.
 */
export interface InFlight {
  readonly index: number;
  readonly fingerprint: string;
  readonly scope?: DdlScope | undefined;
}

/** What a run will do, in order. Zero steps means nothing to do (success, not an error). */
export interface Plan {
  readonly direction: Direction;
  readonly steps: ReadonlyArray<PlanStep>;
  /** Highest applied version before the run, `null` when none. */
  readonly fromVersion: string | null;
  /** Highest applied version once every step succeeded, `null` when none remains. */
  readonly toVersion: string | null;
}

/** Options of `planUp`. */
export interface UpOptions {
  readonly policy: Policy;
  /** Apply pending versions up to and including this one, as typed (`V3`, `3`, `1.02`); all when absent. */
  readonly target?: string | undefined;
  /**
   * `migrate up --resume`: failed or in-progress `up` rows are continued (first, after their last
   * recorded statement) instead of blocking. A failed `down` still blocks: only `repair` settles it.
   */
  readonly resume?: boolean | undefined;
}

/**
 * What `down` reverts: the last `count` applied migrations (`--steps`), every one above a version
 * (`--to`, `'0'` = all), the last batch (`--batch`), or exactly one version (`--version`).
 */
export type DownTarget =
  | { readonly kind: 'steps'; readonly count: number }
  | { readonly kind: 'to'; readonly version: string }
  | { readonly kind: 'batch' }
  | { readonly kind: 'version'; readonly version: string };
