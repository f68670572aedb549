import { InvalidArgumentError, type Command } from 'commander';
import { planDown, type DownTarget } from '../../core/plan/index.js';
import { dryRun, execute, type PlanFor } from '../run-plan.js';
import type { CommandEnv } from '../program.js';

interface DownOptions {
  readonly dryRun?: boolean;
  readonly steps?: number;
  readonly to?: string;
  readonly batch?: boolean;
  readonly version?: string;
  readonly confirm?: string;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

function targetOf(options: DownOptions): DownTarget {
  if (options.to !== undefined) return { kind: 'to', version: options.to };
  if (options.batch) return { kind: 'batch' };
  if (options.version !== undefined) return { kind: 'version', version: options.version };
  return { kind: 'steps', count: options.steps ?? 1 };
}

/** `migrate down`: revert the last migration, N of them, down to a version, or the last batch. */
export function registerDown(program: Command, env: CommandEnv): void {
  program
    .command('down')
    .description('revert applied migrations: the last one by default')
    .option('--steps <n>', 'revert the last N migrations', positiveInteger)
    .option('--to <version>', 'revert every migration above this version (0 reverts everything)')
    .option('--batch', 'revert every migration of the last batch (the last "migrate up")')
    .option('--version <version>', 'revert only this version (refused while an applied migration depends on it)')
    .option('--dry-run', 'print the plan and the exact SQL; write nothing')
    .option('--confirm <environment>', 'the name of the environment, required where it is protected')
    .action(async (options: DownOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('down', { dryRun: options.dryRun, confirm: options.confirm });
      const { migrations, callbacks } = await session.loadMigrations();
      const target = targetOf(options);
      const planFor: PlanFor = (history) => planDown(migrations, history, target);
      await (options.dryRun ? dryRun(session, planFor) : execute(session, 'down', planFor, { callbacks }));
    });
  const down = program.commands.find((c) => c.name() === 'down');
  down?.options.find((o) => o.long === '--to')?.conflicts(['steps', 'batch', 'version']);
  down?.options.find((o) => o.long === '--batch')?.conflicts(['steps', 'version']);
  down?.options.find((o) => o.long === '--version')?.conflicts(['steps']);
}
