import type { Command } from 'commander';
import { ProblemsError, type Problem } from '../../core/errors.js';
import { LINT_RULES, lintMigrations, type LintFinding, type LintReport } from '../../core/lint/index.js';
import type { Output } from '../io.js';
import type { CommandEnv } from '../program.js';

interface LintCommandOptions {
  readonly rules?: boolean;
}

/** A finding that fails the lint: dangerous, and not accepted by `-- migrate:allow`. */
function blocking(finding: LintFinding): boolean {
  return finding.risk === 'dangerous' && !finding.allowed;
}

/**
 * The findings that must stop a deployment (dangerous, not allowed) as E_LINT problems (exit 5),
 * each at its statement's file:line:column with the zero-downtime alternative and how to accept
 * the risk. Called by `migrate lint` and `migrate validate`; [] when nothing blocks.
 */
export function lintProblems(report: LintReport): Problem[] {
  return report.findings.filter(blocking).map((f) => ({
    code: 'E_LINT',
    message: `${f.file}:${f.line}: ${f.rule}: ${f.message}`,
    at: { file: f.file, line: f.line, column: f.column },
    hint: `${f.hint} If the risk is intended, add "-- migrate:allow ${f.rule}" to the file's header.`,
    details: { rule: f.rule, risk: f.risk, migration: f.migration, statement: f.statement },
  }));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `RISK  RULE  FILE:LINE  message` and a `  hint:` line per finding. */
function renderFindings(findings: ReadonlyArray<LintFinding>, output: Output): void {
  const ruleWidth = Math.max(...findings.map((f) => f.rule.length));
  for (const f of findings) {
    output.line(`${f.risk.padEnd(9)}  ${f.rule.padEnd(ruleWidth)}  ${f.file}:${f.line}  ${f.message}${f.allowed ? ' (allowed)' : ''}`);
    output.line(`  hint: ${f.hint}`);
  }
}

function renderRules(output: Output): void {
  output.document({ ok: true, rules: LINT_RULES });
  const width = Math.max(...LINT_RULES.map((r) => r.name.length));
  for (const rule of LINT_RULES) {
    output.line(`${rule.risk.padEnd(9)}  ${rule.name.padEnd(width)}  ${rule.description}`);
    output.line(`  hint: ${rule.hint}`);
  }
}

/**
 * `migrate lint`: flags operations risky on a live database in the up scripts of every migration,
 * with the zero-downtime alternative. Reads files only (the URL just picks the engine's rules).
 * Exit 5 when a dangerous finding is not allowed by `-- migrate:allow`; careful ones never fail.
 */
export function registerLint(program: Command, env: CommandEnv): void {
  program
    .command('lint')
    .description('flag risky operations in migration files (drops, unbounded deletes, locking DDL) with safer alternatives; needs no database')
    .option('--rules', 'list the lint rules, their risk and the alternative each one suggests')
    .action(async (options: LintCommandOptions, command: Command) => {
      const session = await env.session(command);
      if (options.rules) return renderRules(session.output);
      const { migrations, problems, syntax } = await session.inspectFiles();
      if (problems.length > 0) throw new ProblemsError(problems);
      const report = lintMigrations(migrations, syntax);
      const open = report.findings.filter((f) => !f.allowed);
      const counts = {
        dangerous: open.filter((f) => f.risk === 'dangerous').length,
        careful: open.filter((f) => f.risk === 'careful').length,
        allowed: report.findings.length - open.length,
      };
      session.output.document({ ok: counts.dangerous === 0, engine: syntax.label, files: migrations.length, findings: report.findings, counts });
      const scope = `${plural(migrations.length, 'migration file')} linted with the ${syntax.label} rules`;
      if (report.findings.length === 0) return session.output.line(`OK: ${scope}, no risky operations found.`);
      renderFindings(report.findings, session.output);
      session.output.line();
      session.output.line(`${scope}: ${counts.dangerous} dangerous, ${counts.careful} careful, ${counts.allowed} allowed.`);
      const blocked = lintProblems(report);
      if (blocked.length > 0) throw new ProblemsError(blocked);
    });
}
