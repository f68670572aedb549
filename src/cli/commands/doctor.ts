import { Option, type Command } from 'commander';
import { DOCTOR_COMMANDS, doctorError, type DoctorCommand } from '../../core/doctor.js';
import { examine } from '../preflight.js';
import { doctorJson, renderDoctor } from '../render/doctor.js';
import type { CommandEnv } from '../program.js';

interface DoctorOptions {
  readonly for: DoctorCommand;
}

/**
 * `migrate doctor`: the pre-flight checks (connection, server version, privileges for the command,
 * metadata format, free disk, lock, pending migrations) in a read-only session that creates
 * nothing and takes no lock. Prints every check, then ends with the code of the worst failing one
 * (E_CONNECT 4, E_METADATA_VERSION 6, E_PRIVILEGE 9); warnings and unknowns exit 0.
 */
export function registerDoctor(program: Command, env: CommandEnv): void {
  program
    .command('doctor')
    .description('pre-flight checks: connection, server version, privileges, metadata format, free disk, lock, pending migrations (read-only)')
    .addOption(new Option('--for <command>', 'check the privileges this command needs').choices([...DOCTOR_COMMANDS]).default('up'))
    .action(async (options: DoctorOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('doctor', {});
      const report = await examine(session, options.for);
      session.output.document(doctorJson(report, session.target));
      renderDoctor(report, session.target, session.output);
      const error = report.unreachable ?? doctorError(report.checks, options.for, report.label);
      if (error) throw error;
    });
}
