import { InvalidArgumentError, type Command } from 'commander';
import { runRepair } from '../../core/run/repair.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface RepairOptions {
  readonly version?: string;
  readonly as?: 'applied' | 'rolled_back';
  readonly confirm?: string;
}

function settledState(value: string): 'applied' | 'rolled_back' {
  if (value === 'applied') return 'applied';
  if (value === 'rolled-back' || value === 'rolled_back') return 'rolled_back';
  throw new InvalidArgumentError('expected "applied" or "rolled-back".');
}

/**
 * `migrate repair`: record the database as it is, after a manual check. Without options it
 * realigns checksums of applied migrations with their files; with --version and --as it settles
 * one failed or in-progress migration. Never runs migration SQL; every change is audited.
 */
export function registerRepair(program: Command, env: CommandEnv): void {
  program
    .command('repair')
    .description('record the database as it is: realign checksums, or settle a failed migration (runs no migration SQL)')
    .option('--version <version>', 'only this version: realign its checksum, or (with --as) settle it when it failed')
    .option('--confirm <environment>', 'the name of the environment, required where it is protected')
    .option('--as <state>', 'what the database really holds for it: applied (all its changes are there) or rolled-back (none are)', settledState)
    .action(async (options: RepairOptions, command: Command) => {
      const session = await env.session(command);
      if (options.as !== undefined && options.version === undefined) {
        command.error('--as needs --version: "migrate repair --version <v> --as applied|rolled-back"');
      }
      await session.authorize('repair', { confirm: options.confirm });
      const { migrations } = await session.loadMigrations();
      const mark = options.version !== undefined && options.as !== undefined ? { version: options.version, as: options.as } : undefined;
      const { changes, auditHead } = await withDriver(session, false, async (driver) => ({
        changes: await runRepair({ driver, context: session.context, emit: session.emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs, migrations, mark, only: mark ? undefined : options.version }),
        auditHead: await driver.readAuditHead(),
      }));
      session.output.document({ ok: true, target: session.target, changes, auditHead });
      if (changes.length === 0) session.output.line('Nothing to repair: every applied migration matches its file.');
      for (const c of changes) {
        session.output.line(c.change === 'checksum' ? `  version ${c.version}: recorded checksum ${c.from} -> ${c.to}` : `  version ${c.version}: ${c.from} -> ${c.to}`);
      }
      if (changes.length > 0) session.output.line(`Repaired ${changes.length} history row${changes.length === 1 ? '' : 's'} (audited).`);
    });
}
