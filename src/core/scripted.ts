/**
 * The contract of scripted migrations (`V<version>__<description>.ts|.js|.mjs|.cjs`, see
 * docs/scripted-migrations.md): the `ctx` their `up`, `down` and `verify` functions receive, and
 * the pure translation of a `ctx.sql` tagged template into SQL text plus bound parameters.
 */
/** The engine family a driver speaks, as scripted migrations see it (`ctx.dialect`). */
export type Dialect = 'postgres' | 'mysql' | 'sqlite';

/** How an engine spells a bound parameter: `$1, $2, ...` (PostgreSQL) or `?` (MySQL, SQLite). */
export type ParameterStyle = 'dollar' | 'question';

/** Rows a statement returned (objects keyed by column name) and the rows it changed. */
export interface QueryResult {
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Rows inserted, updated or deleted as the engine counts them; `undefined` when it cannot tell. */
  readonly rowCount: number | undefined;
}

/** A message a script logs through `ctx.log`; it reaches the logs with the migration's id. */
export type ScriptLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface MigrationLog {
  debug(message: string, data?: Readonly<Record<string, unknown>>): void;
  info(message: string, data?: Readonly<Record<string, unknown>>): void;
  warn(message: string, data?: Readonly<Record<string, unknown>>): void;
  error(message: string, data?: Readonly<Record<string, unknown>>): void;
}

/** A key value `ctx.batch` pages by: what the client returns for an integer or text column. */
export type BatchKey = number | string | bigint;

/** One batch of a `ctx.batch` job: the keys it covers, both ends included. */
export interface BatchRange {
  /** The smallest key of the batch. */
  readonly first: BatchKey;
  /** The largest key of the batch: the next batch starts after it. */
  readonly last: BatchKey;
  /** How many rows of the table (matching `where`) the range holds. */
  readonly rows: number;
  /** 1-based number of the batch over the whole job (counting those of a run that was stopped). */
  readonly number: number;
}

/** What `ctx.batch` is asked to do (docs/batches.md). */
export interface BatchOptions {
  /** Names the job's checkpoint in migrator_progress: unique within the migration (letters, digits, `_ . : -`). */
  readonly name: string;
  /** The table to page through: `name` or `schema.name`, quoted as written (no spaces, no quotes). */
  readonly table: string;
  /** A unique, non-null column of integer or text type that orders the table: its primary key. */
  readonly key: string;
  /** Rows per batch: 1 to 1,000,000, default 1000. */
  readonly size?: number | undefined;
  /** A SQL condition choosing the rows to process (`email_lower IS NULL`); all rows without it. */
  readonly where?: string | undefined;
  /** Milliseconds to wait between batches, to leave room for other traffic and replicas; default 0. */
  readonly pauseMs?: number | undefined;
  /** Processes one batch with `ctx.sql` / `ctx.query`, in the batch's own transaction. */
  readonly apply: (batch: BatchRange) => unknown;
}

/** What a finished `ctx.batch` job did. */
export interface BatchResult {
  /** Rows processed by the whole job, the runs before a resume included. */
  readonly rows: number;
  /** Batches committed by the whole job. */
  readonly batches: number;
  /** Rows that earlier runs had processed before this one resumed from the checkpoint (0 for a fresh job). */
  readonly resumedFrom: number;
}

/**
 * What `up(ctx)`, `down(ctx)` and `verify(ctx)` receive. Every call runs on the run's one
 * connection, inside the migration's transaction where the engine's DDL is transactional.
 */
export interface MigrationContext {
  /** Tagged template: every `${value}` is sent as a bound parameter, never spliced into the text. */
  sql(strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>): Promise<QueryResult>;
  /** One statement with explicit parameters, spelled the engine's way (`$1` or `?`). */
  query(text: string, params?: ReadonlyArray<unknown>): Promise<QueryResult>;
  /** Raw SQL without parameters, split into statements like a .sql migration; returns rows changed. */
  exec(text: string): Promise<{ readonly rowCount: number | undefined }>;
  readonly log: MigrationLog;
  /** The selected environment (`--env`); no variables and never a secret. */
  readonly env: { readonly name: string };
  readonly dialect: Dialect;
  /** Aborted on SIGINT/SIGTERM: long loops should check it; ctx calls refuse to start once it is. */
  readonly signal: AbortSignal;
  /**
   * A resumable batched backfill: pages through `table` by `key` (keyset pagination), calling
   * `apply` once per batch, each batch in its own transaction together with its checkpoint in
   * migrator_progress. After a crash or Ctrl-C, `migrate up --resume` runs `up(ctx)` again and the
   * job continues after the last committed batch. The migration must run outside a transaction
   * (`export const transaction = false`; always so on MySQL).
   */
  batch(options: BatchOptions): Promise<BatchResult>;
  /** The migration being run: id (canonical version) and its file. */
  readonly migration: { readonly id: string; readonly file: string; readonly direction: 'up' | 'down' | 'verify' };
}

/** One exported function of a scripted migration, as the loader found it. */
export interface ScriptProgram {
  readonly entry: 'up' | 'down' | 'verify';
  /** Absolute path of the module: stack frames in it give the line of a failing call. */
  readonly location: string;
  readonly run: (ctx: MigrationContext) => unknown;
}

/**
 * Builds the text and parameter list of a `ctx.sql` template: the literal parts joined by the
 * engine's placeholders, the values passed through untouched, in order. Throws a TypeError for an
 * `undefined` value (almost always a misspelt property; bind `null` to mean NULL), which fails the
 * migration like any error its function throws.
 */
export function compileTemplate(strings: ReadonlyArray<string>, values: ReadonlyArray<unknown>, style: ParameterStyle): { readonly text: string; readonly params: ReadonlyArray<unknown> } {
  let text = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) {
    if (values[index] === undefined) {
      throw new TypeError(`ctx.sql: value ${index + 1} is undefined (pass null to bind SQL NULL)`);
    }
    text += (style === 'dollar' ? `$${index + 1}` : '?') + (strings[index + 1] ?? '');
  }
  return { text, params: Object.freeze([...values]) };
}
