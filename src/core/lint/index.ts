/** The migration linter's public surface: `lintMigrations` and the rule catalog. */
export { lintMigrations, type LintFinding, type LintOptions, type LintReport } from './lint.js';
export { LINT_RULES, findLintRule, type LintRisk, type LintRuleInfo, type LintRuleName } from './rules.js';
