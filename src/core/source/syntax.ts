/**
 * How an engine's SQL is spelled, as far as splitting a file into statements needs to know.
 * Drivers describe their engine with one of these; the scanner reads only the flags, never a name.
 */
export interface SqlSyntax {
  /** Name for messages: `PostgreSQL`, `MySQL`, `SQLite`. */
  readonly label: string;
  /** `$$ ... $$` and `$tag$ ... $tag$` quoting (PostgreSQL). */
  readonly dollarQuotes: boolean;
  /** `/* ... /* ... *\/ ... *\/` nests (PostgreSQL). */
  readonly nestedBlockComments: boolean;
  /** Backslash escapes a character inside '...' and "..." (MySQL's default sql_mode). */
  readonly backslashEscapes: boolean;
  /** `E'...'` strings, in which backslash escapes (PostgreSQL). */
  readonly escapeStrings: boolean;
  /** `` `identifier` `` quoting (MySQL, SQLite). */
  readonly backtickIdentifiers: boolean;
  /**
   * The character that quotes an identifier, used to write identifier placeholders: `"` (the
   * default, PostgreSQL and SQLite) or `` ` `` (MySQL, where `"` quotes a string by default).
   */
  readonly identifierQuote?: '"' | '`';
  /** `[identifier]` quoting (SQLite). */
  readonly bracketIdentifiers: boolean;
  /** `#` starts a line comment (MySQL). */
  readonly hashComments: boolean;
  /** `--` starts a comment only when followed by whitespace or end of line (MySQL). */
  readonly dashCommentNeedsSpace: boolean;
  /** `DELIMITER <token>` client lines change the statement delimiter (MySQL). */
  readonly delimiterDirective: boolean;
  /**
   * `/*! ... *\/` (and MariaDB `/*M! ... *\/`) comments are run by the engine, so they count as
   * statement text: a statement made only of one is still sent (mysqldump's `/*!40101 SET ... *\/;`).
   * Absent means `false`.
   */
  readonly executableComments?: boolean;
  /**
   * Statements whose `BEGIN ... END` body holds semicolons that do not end the statement:
   * `sqlite-trigger` (CREATE TRIGGER), `mysql-compound` (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT
   * written without DELIMITER), `postgres-atomic` (`BEGIN ATOMIC ... END` function bodies).
   */
  readonly blockBodies: 'sqlite-trigger' | 'mysql-compound' | 'postgres-atomic';
  /**
   * `CREATE INDEX CONCURRENTLY` / `DROP INDEX CONCURRENTLY` exist and avoid blocking writes
   * (PostgreSQL). The linter flags index changes without it. Absent means `false`.
   */
  readonly concurrentIndexes?: boolean;
  /**
   * `ADD CONSTRAINT ... FOREIGN KEY | CHECK ... NOT VALID` then `VALIDATE CONSTRAINT` exist, so a
   * constraint can be added without a long lock (PostgreSQL). The linter flags constraints added
   * without it. Absent means `false`.
   */
  readonly notValidConstraints?: boolean;
  /**
   * `COPY <table> FROM STDIN ...;` is followed by data lines up to a line `\.`, which psql sends as
   * COPY data, not as SQL (pg_dump's format). The scanner steps over them and hands them to the
   * statement as `copyData` (PostgreSQL). Absent means `false`: the lines are scanned as SQL.
   */
  readonly copyFromStdin?: boolean;
  /** Statements the engine refuses inside a transaction (matched against the statement text). */
  readonly nonTransactional: ReadonlyArray<RegExp>;
}
