import type { Command } from 'commander';
import { MigratorError, ProblemsError } from '../../core/errors.js';
import { inspect } from '../../core/plan/index.js';
import { readHistory } from '../../core/run/executor.js';
import { renderStatus, statusJson } from '../render/status.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface StatusOptions {
  readonly check?: boolean;
}

/** `migrate status`: every migration with its state; read-only, takes no lock, creates nothing. */
export function registerStatus(program: Command, env: CommandEnv): void {
  program
    .command('status')
    .description('show every migration and its state (read-only)')
    .option('--check', 'exit 8 when migrations are pending, or with the problem\'s code when files and database disagree')
    .action(async (options: StatusOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('status', {});
      const { migrations, problems: fileProblems } = await session.inspectFiles();
      const history = await withDriver(session, true, async (driver) => (await readHistory(driver)).rows);
      const inspection = inspect(migrations, history, { outOfOrder: session.config.order === 'allow-out-of-order' });
      const merged = { ...inspection, problems: [...fileProblems, ...inspection.problems] };
      const pending = merged.entries.filter((e) => e.state === 'pending' || e.state === 'outdated').length;
      session.emit({ type: 'status.inspected', pending });
      // Only the form asked for is built: each is a row per migration, and there may be 100,000.
      if (session.output.json) {
        const document = statusJson(merged, session.target) as Record<string, unknown>;
        // Under --check, "ok" answers the check: pending migrations make it false, as the exit code 8 does.
        session.output.document(options.check && pending > 0 ? { ...document, ok: false } : document);
      } else {
        renderStatus(merged, session.target, session.output);
      }
      if (!options.check) return;
      if (merged.problems.length > 0) throw new ProblemsError(merged.problems);
      if (pending > 0) throw new MigratorError('E_PENDING', `${pending} migration${pending === 1 ? ' is' : 's are'} pending`, { hint: 'Run "migrate up" to apply them.' });
    });
}
