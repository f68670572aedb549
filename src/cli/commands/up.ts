import type { Command } from 'commander';
import { planUp } from '../../core/plan/index.js';
import { dryRun, execute, type PlanFor } from '../run-plan.js';
import { preflight } from '../preflight.js';
import type { CommandEnv } from '../program.js';

interface UpOptions {
  readonly dryRun?: boolean;
  readonly target?: string;
  readonly resume?: boolean;
}

async function up(env: CommandEnv, options: UpOptions, command: Command): Promise<void> {
  const session = await env.session(command);
  await session.authorize('up', { dryRun: options.dryRun });
  const { migrations, callbacks } = await session.loadMigrations();
  const policy = { outOfOrder: session.config.order === 'allow-out-of-order' };
  const planFor: PlanFor = (history) => planUp(migrations, history, { policy, target: options.target, resume: options.resume === true });
  await preflight(session, 'up', { dryRun: options.dryRun });
  await (options.dryRun ? dryRun(session, planFor) : execute(session, 'up', planFor, { callbacks }));
}

/** `migrate up`: apply pending migrations (and outdated repeatables), one batch per invocation. */
export function registerUp(program: Command, env: CommandEnv): void {
  program
    .command('up')
    .description('apply pending migrations, in dependency then version order, as one batch')
    .option('--dry-run', 'print the plan and the exact SQL; write nothing (no lock, no tables, no file)')
    .option('--target <version>', 'apply pending migrations up to and including this version')
    .option('--resume', 'continue a failed or interrupted migration after its last applied statement (only if those statements are unchanged)')
    .action((options: UpOptions, command: Command) => up(env, options, command));
  // DESIGN.md: `plan` is `up --dry-run`, the name reviewers look for.
  program
    .command('plan')
    .description('print what "migrate up" would run, with the exact SQL; write nothing (same as "up --dry-run")')
    .option('--target <version>', 'plan pending migrations up to and including this version')
    .option('--resume', 'plan the continuation of a failed or interrupted migration first')
    .action((options: UpOptions, command: Command) => up(env, { ...options, dryRun: true }, command));
}
