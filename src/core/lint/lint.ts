/**
 * The migration linter: flags operations that are risky on a live database (data loss, long
 * locks, breaking running code) and names the zero-downtime alternative. Pure: it reads parsed
 * migrations and the engine's `SqlSyntax` capabilities, never a database.
 */
import type { Migration, Statement } from '../model.js';
import { excerpt } from '../source/parse.js';
import type { SqlSyntax } from '../source/syntax.js';
import type { Hit } from './hit.js';
import { findLintRule, lintRule, type LintRisk, type LintRuleName } from './rules.js';
import { analyseStatement } from './statement.js';
import { tokenize } from './tokens.js';

/** One risky operation found in a migration. */
export interface LintFinding {
  readonly rule: LintRuleName;
  readonly risk: LintRisk;
  /** The migration's id (canonical version, or `R__<description>`). */
  readonly migration: string;
  readonly file: string;
  /** 1-based line and column of the statement's first character (of the file, for file-level findings). */
  readonly line: number;
  readonly column: number;
  /** A one-line excerpt of the statement. */
  readonly statement: string;
  readonly message: string;
  /** The zero-downtime alternative. */
  readonly hint: string;
  /** `true` when the migration accepts this rule with `-- migrate:allow <rule>`. */
  readonly allowed: boolean;
}

/** The result of `lintMigrations`. */
export interface LintReport {
  /** In migration order, then statement order; allowed findings included. */
  readonly findings: ReadonlyArray<LintFinding>;
}

/** Options of `lintMigrations`. */
export interface LintOptions {
  /** Lint only the migrations with these ids (default: all of them). */
  readonly only?: ReadonlySet<string>;
}

/**
 * Lints the UP script of each migration (downs and verify scripts are not linted: a down is the
 * destructive inverse of its up by nature, and verify queries change nothing). Called by
 * `migrate lint` and `migrate validate` after the files are parsed. `syntax` decides the
 * engine-specific rules (`concurrentIndexes`, `notValidConstraints`). Never throws; no
 * migrations, or none selected by `options.only`, give an empty report.
 */
export function lintMigrations(migrations: ReadonlyArray<Migration>, syntax: SqlSyntax, options: LintOptions = {}): LintReport {
  const findings = migrations
    .filter((migration) => options.only === undefined || options.only.has(migration.id))
    .flatMap((migration) => lintMigration(migration, syntax));
  return Object.freeze({ findings: Object.freeze(findings) });
}

function lintMigration(migration: Migration, syntax: SqlSyntax): LintFinding[] {
  const allowed = new Set(migration.directives.allow.map((name) => name.toLowerCase()));
  const findings = unknownAllows(migration);
  const created = new Set<string>();
  for (const statement of migration.up.statements) {
    const analysis = analyseStatement(tokenize(statement.sql, syntax), syntax);
    for (const hit of analysis.hits) {
      if (hit.table !== undefined && created.has(hit.table)) continue;
      findings.push(finding(migration, statement, hit, allowed.has(hit.rule)));
    }
    if (analysis.created !== undefined) created.add(analysis.created);
  }
  const first = migration.up.statements[0];
  // Only the directive counts: a file of CREATE INDEX CONCURRENTLY statements goes outside a transaction by itself.
  if (!migration.directives.transaction && !migration.up.transactional && first && migration.up.statements.length > 1) {
    const message = `"-- migrate:transaction off" with ${migration.up.statements.length} statements: a failure half-way leaves the first ones applied`;
    findings.push(finding(migration, first, { rule: 'multi-statement-transaction-off', message }, allowed.has('multi-statement-transaction-off')));
  }
  return findings;
}

/** A `-- migrate:allow` name that is no rule allows nothing: report it, so the typo shows. */
function unknownAllows(migration: Migration): LintFinding[] {
  return migration.directives.allow
    .filter((name) => findLintRule(name.toLowerCase()) === undefined)
    .map((name) => {
      // The directive's own line is not kept by the parser; the header starts at line 1.
      const at: Statement = { sql: `-- migrate:allow ${name}`, line: 1, column: 1 };
      // Never allowed itself: allowing it would hide the very typo it reports.
      return finding(migration, at, { rule: 'unknown-allow', message: `"-- migrate:allow ${name}" names no lint rule, so it allows nothing` }, false);
    });
}

function finding(migration: Migration, statement: Statement, hit: Hit, allowed: boolean): LintFinding {
  const rule = lintRule(hit.rule);
  return Object.freeze({
    rule: hit.rule,
    risk: rule.risk,
    migration: migration.id,
    file: migration.up.file,
    line: statement.line,
    column: statement.column,
    statement: excerpt(statement.sql),
    message: hit.message,
    hint: hit.hint ?? rule.hint,
    allowed: allowed && hit.rule !== 'unknown-allow',
  });
}
