import type { Command } from 'commander';
import { runBaseline } from '../../core/run/baseline.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface BaselineOptions {
  readonly version: string;
  readonly description?: string;
  readonly confirm?: string;
}

/** `migrate baseline --version V`: adopt an existing database; versions up to V count as applied. Runs no SQL. */
export function registerBaseline(program: Command, env: CommandEnv): void {
  program
    .command('baseline')
    .description('adopt an existing database: record that versions up to --version are in place (runs no migration SQL)')
    .requiredOption('--version <version>', 'the version the existing schema corresponds to')
    .option('--description <text>', 'what the baseline stands for', 'baseline')
    .option('--confirm <environment>', 'the name of the environment, required where it is protected')
    .action(async (options: BaselineOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('baseline', { confirm: options.confirm });
      const { version, auditHead } = await withDriver(session, false, async (driver) => ({
        version: await runBaseline({ driver, context: session.context, emit: session.emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs, version: options.version, description: options.description ?? 'baseline' }),
        auditHead: await driver.readAuditHead(),
      }));
      session.output.document({ ok: true, target: session.target, baseline: version, auditHead });
      session.output.line(`Baselined ${session.target} at version ${version}: migrations up to ${version} count as applied; later ones run with "migrate up".`);
    });
}
