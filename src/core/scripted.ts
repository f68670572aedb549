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

/**
 * What `up(ctx)`, `down(ctx)` and `verify(ctx)` receive. Every call runs on the run's one
 * connection, inside the migration's transaction where the engine's DDL is transactional.
 * `ctx.batch` (resumable batched backfills) is not part of this release.
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
