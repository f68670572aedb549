/**
 * The data of `migrate import --from <tool>` (docs/import.md): what another migration tool's
 * history table says was applied, read into tool-neutral entries, and how each entry maps onto
 * the migration files migrator loads. Plain data; the readers (tools-*.ts) and the mapper
 * (map.ts) are pure functions over it.
 */
import type { MigratorError } from '../errors.js';
import type { Migration } from '../model.js';

/** The tools whose history `migrate import --from` reads. */
export const IMPORT_TOOLS = [
  'flyway', 'liquibase', 'knex', 'db-migrate', 'golang-migrate', 'dbmate', 'goose', 'node-pg-migrate',
  'sequelize', 'typeorm', 'prisma', 'rails', 'django', 'alembic',
] as const;

export type ImportToolName = (typeof IMPORT_TOOLS)[number];

/**
 * How an entry names its migration.
 * - `version`: a version as the tool records it (`1.2`, `20240101120000`), matched by canonical version.
 * - `name`: a file or class name (`20240101120000_create_users.js`), matched by its leading version:
 *   the leading digits (`20240101120000_2fa.js` is version 20240101120000), or with `dotted` a
 *   dotted version (`V1.2__x.sql` is 1.2), for tools whose own versions are dotted.
 * - `script`: a Flyway repeatable's script (`R__views.sql`), matched to migrator's `R__<description>`.
 * - `revision`: an Alembic revision id, matched to the one file whose name contains it.
 */
export type ForeignKey =
  | { readonly kind: 'version'; readonly raw: string }
  | { readonly kind: 'name'; readonly name: string; readonly dotted?: boolean }
  | { readonly kind: 'script'; readonly script: string }
  | { readonly kind: 'revision'; readonly revision: string };

/**
 * One migration the other tool recorded.
 * - `applied`: applied; imported as applied.
 * - `head`: applied, and so is every lower version (golang-migrate and Alembic record only their head).
 * - `baseline`: a baseline (Flyway `BASELINE`): imported as a migrator baseline row.
 * - `skipped`: recorded but not in effect (rolled back, unapplied, failed and undone, ...): reported, not imported.
 */
export interface ForeignEntry {
  /** How the other tool names it, for people: `V1.2 (installed_rank 3)`, `20240101_init.js`. */
  readonly ref: string;
  readonly key: ForeignKey;
  readonly state: 'applied' | 'head' | 'baseline' | 'skipped';
  /** ISO-8601 UTC, when the tool records when it applied it. */
  readonly appliedAt?: string | undefined;
  /** Who applied it, when the tool records it (Flyway's installed_by). */
  readonly appliedBy?: string | undefined;
  /** Why a `skipped` entry is not imported. */
  readonly note?: string | undefined;
  /**
   * A `skipped` entry that belongs to other migrations than these files (another Django app): it
   * is listed, but never counted against a file it happens to share a version with.
   */
  readonly unrelated?: boolean | undefined;
  /**
   * Flyway's `checksum` of the script as it last applied it (CRC-32, see flyway-checksum.ts);
   * `null` when the row has none. Only Flyway repeatables use it: one is imported only when
   * the file still has that checksum.
   */
  readonly checksum?: number | null | undefined;
}

/** How to read one tool's history table: the columns it selects and how its rows become entries. */
export interface ToolReader {
  readonly tool: ImportToolName;
  /** The table the tool creates by default; `--table` overrides it. */
  readonly table: string;
  /** Lower-case column names, selected as aliases of themselves so every engine returns the same keys. */
  readonly columns: ReadonlyArray<string>;
  /** The column giving the order in which the tool applied them, when it has one. */
  readonly orderBy?: string | undefined;
  /**
   * Tells this tool's table from another tool's table of the same default name by one column
   * (`schema_migrations`: golang-migrate's has `dirty`, dbmate's and Rails's do not). `hasIt`:
   * whether this tool's table has `column`. read.ts probes the column without reading rows; a
   * table that has it where this tool's has none, or lacks it where this tool's has it (its other
   * columns being readable), throws `refusal(table)`.
   */
  readonly telltale?: { readonly column: string; readonly hasIt: boolean; refusal(table: string): MigratorError } | undefined;
  /**
   * Turns the rows (keys as in `columns`) into entries, oldest first.
   * @throws MigratorError E_IMPORT_REFUSED when the table says the tool's last run did not finish
   *   (golang-migrate `dirty`, a failed Flyway row), which no import can decide.
   */
  parse(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, table: string, options?: ReadOptions): ReadonlyArray<ForeignEntry>;
}

/** Choices that narrow what a reader takes. */
export interface ReadOptions {
  /** Django: the app whose migrations the files are (`--app`); other apps' rows are skipped. */
  readonly app?: string | undefined;
}

/**
 * What happens to one entry.
 * - `import`: a history row will be written for `migration` (or a baseline row at `version`).
 * - `recorded`: migrator history already says so, identically: nothing to write.
 * - `skipped`: the other tool does not count it as applied.
 * - `unmapped`: no migration file matches it (`why` says how it was looked for).
 * - `conflict`: migrator history already says something else about that migration.
 * - `partial`: several entries name the same file and not all of them were applied (a failed
 *   Liquibase changeset next to executed ones): the file is neither imported nor left out; refused.
 */
export interface MappedEntry {
  readonly ref: string;
  readonly outcome: 'import' | 'recorded' | 'skipped' | 'unmapped' | 'conflict' | 'partial';
  /** The canonical version it maps to (or was looked for as), when there is one. */
  readonly version: string | undefined;
  readonly migration: Migration | undefined;
  readonly kind: Migration['kind'] | 'baseline' | undefined;
  readonly appliedAt: string | undefined;
  readonly appliedBy: string | undefined;
  /** For `skipped`, `unmapped`, `conflict` and `partial`: why, in one phrase. For implied entries: which head implied them. */
  readonly why: string | undefined;
  /**
   * When an earlier entry maps to the same file (several Liquibase changesets of one file): that
   * entry's `ref`. Such an entry shares the earlier one's outcome; only the first writes the row.
   */
  readonly sameFileAs: string | undefined;
}

/** The whole mapping: every entry with its outcome, plus versions left pending below the imported ones. */
export interface ImportMapping {
  readonly entries: ReadonlyArray<MappedEntry>;
  /**
   * Versioned files the other tool did not record that are lower than the highest imported version:
   * they stay pending and `up` applies them only under `order: allow-out-of-order`.
   */
  readonly gaps: ReadonlyArray<string>;
}
