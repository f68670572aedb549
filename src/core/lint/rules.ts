/**
 * The catalog of lint rules: what each one flags, how risky that is on a live database, and the
 * zero-downtime alternative. Read by the linter for each finding's risk and hint, by
 * `migrate lint --rules` and by the docs.
 */

/**
 * - `dangerous`: can lose data or break running code; fails `migrate lint` unless allowed.
 * - `careful`: can block traffic or surprise; reported, never fails.
 * - `safe`: informational.
 */
export type LintRisk = 'safe' | 'careful' | 'dangerous';

/** The name of every rule, as written in `-- migrate:allow`. */
export type LintRuleName =
  | 'drop-table' | 'drop-column' | 'truncate' | 'delete-without-where' | 'update-without-where'
  | 'column-type-change' | 'rename' | 'not-null-without-default' | 'non-concurrent-index'
  | 'constraint-without-not-valid' | 'risky-ddl-without-lock-timeout' | 'multi-statement-transaction-off'
  | 'unknown-allow';

/** One rule of the catalog. */
export interface LintRuleInfo {
  /** Stable kebab-case name. */
  readonly name: LintRuleName;
  readonly risk: LintRisk;
  /** One line: what the rule flags and why. */
  readonly description: string;
  /** The zero-downtime alternative, shown with each finding. */
  readonly hint: string;
}

const rule = (name: LintRuleName, risk: LintRisk, description: string, hint: string): LintRuleInfo => Object.freeze({ name, risk, description, hint });

/** Every rule, in the order `migrate lint --rules` lists them. */
export const LINT_RULES: ReadonlyArray<LintRuleInfo> = Object.freeze([
  rule('drop-table', 'dangerous', 'DROP TABLE: the data is gone, and running code that still uses the table fails',
    'Expand/contract: stop using the table in a release first, then drop it in a later migration; or rename it aside and drop it later.'),
  rule('drop-column', 'dangerous', 'ALTER TABLE ... DROP [COLUMN]: the data is gone, and running code that still reads or writes the column fails',
    'Deploy code that no longer reads or writes the column first, then drop it in a later migration.'),
  rule('truncate', 'dangerous', 'TRUNCATE: every row of the table is gone at once',
    'If the data is disposable, accept it with "-- migrate:allow truncate"; otherwise delete in batches with a WHERE on a key range.'),
  rule('delete-without-where', 'dangerous', 'DELETE without a WHERE clause: every row, in one long statement holding its locks to the end',
    'Delete in batches with a WHERE on a key range (WHERE id >= 1 AND id < 10001, and so on), one batch per transaction.'),
  rule('update-without-where', 'dangerous', 'UPDATE without a WHERE clause: every row, in one long statement holding its locks to the end',
    'Update in batches with a WHERE on a key range (WHERE id >= 1 AND id < 10001, and so on), one batch per transaction.'),
  rule('column-type-change', 'dangerous', 'changing a column\'s type (ALTER COLUMN ... TYPE, MODIFY, CHANGE) can rewrite the table under an exclusive lock and breaks code expecting the old type',
    'Add a new column of the new type, backfill it in batches, switch the code to it, then drop the old column in a later migration.'),
  rule('rename', 'careful', 'renaming a table or column (RENAME TO, RENAME COLUMN, RENAME TABLE) breaks running code that uses the old name',
    'Expand/contract: add the new name (a new column kept in sync, or a view under the old name), move the code over, then remove the old name in a later migration.'),
  rule('not-null-without-default', 'dangerous', 'ADD COLUMN ... NOT NULL without a DEFAULT fails on a table that has rows (or fills them with an implicit value)',
    'Add the column nullable, backfill it in batches, then SET NOT NULL (on PostgreSQL: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL); or give it a DEFAULT.'),
  rule('non-concurrent-index', 'careful', 'CREATE INDEX or DROP INDEX without CONCURRENTLY blocks writes to the table while it runs',
    'CREATE INDEX CONCURRENTLY (or DROP INDEX CONCURRENTLY) in its own migration (it runs outside a transaction automatically).'),
  rule('constraint-without-not-valid', 'careful', 'ADD CONSTRAINT ... FOREIGN KEY or CHECK without NOT VALID checks every row while holding a lock that blocks writes',
    'ADD ... NOT VALID, then VALIDATE CONSTRAINT in a later migration.'),
  rule('risky-ddl-without-lock-timeout', 'careful', 'SET lock_timeout = 0 (or a lock_wait_timeout over 60 seconds) turns off the lock timeout migrator sets, so DDL waiting for a lock queues all traffic on the table behind it',
    'Keep migrator\'s per-session lock timeout (execution.lockTimeout); raise it in the configuration if a migration really needs longer.'),
  rule('multi-statement-transaction-off', 'careful', 'a "-- migrate:transaction off" file with several statements: a failure half-way leaves a partial migration',
    'Keep one statement per transaction-off file, and put the other statements in ordinary migrations.'),
  rule('unknown-allow', 'careful', '"-- migrate:allow" names a rule that does not exist, so it allows nothing (a typo?)',
    'Use rule names from "migrate lint --rules".'),
]);

const BY_NAME: ReadonlyMap<string, LintRuleInfo> = new Map(LINT_RULES.map((entry) => [entry.name, entry]));

/** The catalog entry of `name`, or `undefined` for a name that is no rule. */
export function findLintRule(name: string): LintRuleInfo | undefined {
  return BY_NAME.get(name);
}

/** The catalog entry of a rule known to exist. */
export function lintRule(name: LintRuleName): LintRuleInfo {
  // Every LintRuleName has an entry: the table above lists them all (checked by the unit tests).
  return BY_NAME.get(name) as LintRuleInfo;
}
