import type { Command } from 'commander';
import { MigratorError, ProblemsError, sortProblems } from '../../core/errors.js';
import { inspect, planUp } from '../../core/plan/index.js';
import { lintMigrations } from '../../core/lint/index.js';
import { checkSum } from '../../core/source/sum.js';
import { deprecationJson, deprecationProblem } from '../../core/deprecations.js';
import { lintProblems } from './lint.js';
import { readHistory } from '../../core/run/executor.js';
import { driftProblem, readDrift } from '../../core/drift.js';
import { driftJson } from '../render/drift.js';
import { planJson, planScript } from '../render/plan.js';
import { rehearsalSummary, runRehearsal, type RehearsalOutcome } from '../rehearsal.js';
import { warnPasswordOnArgv, withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface ValidateOptions {
  readonly dryRun?: boolean;
  readonly pending?: boolean;
  readonly rehearse?: boolean;
  readonly scratchUrl?: string;
  readonly strictDeprecations?: boolean;
}

/**
 * `migrate validate`: the CI gate. Checks every file (names, duplicates, parse, directives,
 * dependencies) and the database's history against them (checksums, missing files, failed rows,
 * order, version skew) in a read-only session; exit 0 only when `up` would run cleanly.
 */
export function registerValidate(program: Command, env: CommandEnv): void {
  program
    .command('validate')
    .description('check migration files and the database history against them; writes nothing')
    .option('--dry-run', 'also print the plan and the exact SQL that "migrate up" would run')
    .option('--no-pending', 'fail with exit code 8 when any migration is pending')
    .option('--rehearse', 'also apply the pending migrations on a throwaway copy (rolled-back transaction on PostgreSQL, temporary copy on SQLite) and check each down by up -> down -> up')
    .option('--scratch-url <url>', 'rehearse on this empty database instead, replaying every migration from zero (any engine; default: rehearsal.scratchUrl, $MIGRATOR_SCRATCH_URL)')
    .option('--strict-deprecations', 'fail (exit 5, E_DEPRECATED) when a deprecated config key, option or directive is used, instead of only warning')
    .action(async (options: ValidateOptions, command: Command) => {
      const session = await env.session(command);
      const scratchUrl = options.scratchUrl ?? session.config.rehearsal.scratchUrl;
      if (options.scratchUrl !== undefined) {
        session.io.secrets.addUrl(options.scratchUrl);
        warnPasswordOnArgv(session.logger, '--scratch-url', options.scratchUrl, 'MIGRATOR_SCRATCH_URL or rehearsal.scratchUrl with ${env:...}');
        if (!options.rehearse) command.error('--scratch-url needs --rehearse: "migrate validate --rehearse --scratch-url <url>"');
      }
      await session.authorize(options.rehearse ? 'rehearse' : 'validate', {});
      const { migrations, problems: fileProblems, syntax } = await session.inspectFiles();
      // Each use was already warned about on stderr; --strict-deprecations makes them problems.
      const deprecated = [...session.deprecations.uses, ...(await session.deprecations.files(migrations))];
      const { history, capabilities, drift } = await withDriver(session, true, async (driver) => {
        const rows = (await readHistory(driver)).rows;
        return { history: rows, capabilities: driver.capabilities, drift: await readDrift(driver, rows) };
      });
      const policy = { outOfOrder: session.config.order === 'allow-out-of-order' };
      const inspection = inspect(migrations, history, policy);
      // migrator.sum, when the project keeps one: files added, removed or edited without "migrate hash".
      const sumProblems = await checkSum(session.config.migrations.dirs, session.io.cwd, session.config.migrations.layout);
      // Lint what is still to run: applied migrations are history, and cannot be changed anyway.
      const pendingIds = new Set(inspection.entries.filter((e) => e.state === 'pending' || e.state === 'outdated' || e.state === 'out_of_order').map((e) => e.id));
      const lintReport = lintMigrations(migrations, syntax, { only: pendingIds });
      const drifted = driftProblem(drift, session.target);
      const problems = sortProblems([...fileProblems, ...sumProblems, ...lintProblems(lintReport), ...(options.strictDeprecations ? deprecated.map(deprecationProblem) : []), ...inspection.problems, ...(drifted ? [drifted] : [])]);
      const pending = inspection.entries.filter((e) => e.state === 'pending' || e.state === 'outdated').length;
      // Planned only to be shown or rehearsed: it repeats the whole inspection.
      const plan = problems.length === 0 && (options.dryRun || options.rehearse) ? planUp(migrations, history, { policy }) : undefined;
      // Rehearse only what would run: with other problems, "up" would not start anyway.
      const rehearsal: RehearsalOutcome | undefined = options.rehearse && plan ? await runRehearsal(session, { migrations, policy, roundTrip: pendingIds, scratchUrl }) : undefined;
      problems.push(...(rehearsal?.report.problems ?? []));
      session.output.document({ ok: problems.length === 0 && (options.pending !== false || pending === 0), target: session.target, files: migrations.length, applied: history.filter((h) => h.state === 'applied').length, pending, current: inspection.current, problems, drift: driftJson(drift), lint: lintReport.findings, plan: options.dryRun && plan && problems.length === 0 ? planJson(plan, capabilities) : null, rehearsal: rehearsal ? { where: rehearsal.where, ...rehearsal.report } : null, deprecations: deprecated.map(deprecationJson) });
      if (rehearsal) session.output.line(rehearsalSummary(rehearsal));
      if (problems.length > 0) throw new ProblemsError(problems);
      session.output.line(`OK: ${migrations.length} migration file${migrations.length === 1 ? '' : 's'} valid, database history consistent (${session.target}), ${pending} pending.`);
      const careful = lintReport.findings.filter((f) => !f.allowed);
      if (careful.length > 0) session.output.line(`${careful.length} lint warning${careful.length === 1 ? '' : 's'} (careful) in pending migrations: see "migrate lint".`);
      if (options.dryRun && plan && !session.output.json) session.io.stdout(planScript(plan, session.target, capabilities));
      if (options.pending === false && pending > 0) {
        throw new MigratorError('E_PENDING', `${pending} migration${pending === 1 ? ' is' : 's are'} pending and --no-pending was given`, { hint: 'Apply them with "migrate up" first, or drop --no-pending.' });
      }
    });
}
