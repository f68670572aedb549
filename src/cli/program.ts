/**
 * The commander program: global options (accepted before or after the command name), one thin
 * file per command, usage errors reported as E_USAGE (exit 2) with a hint.
 */
import { Command, Option } from 'commander';
import type { CliIO, Lifecycle } from './io.js';
import { createSession, type GlobalOptions, type Session } from './session.js';
import { registerAudit } from './commands/audit.js';
import { registerBaseline } from './commands/baseline.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfig } from './commands/config.js';
import { registerCreate } from './commands/create.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDown } from './commands/down.js';
import { registerGraph } from './commands/graph.js';
import { registerHash } from './commands/hash.js';
import { registerImport } from './commands/import.js';
import { registerLint } from './commands/lint.js';
import { registerRepair } from './commands/repair.js';
import { registerStatus } from './commands/status.js';
import { registerUp } from './commands/up.js';
import { registerUnlock } from './commands/unlock.js';
import { registerValidate } from './commands/validate.js';
import { registerVerify } from './commands/verify.js';

/** What command files get: a way to build the session from the parsed global options. */
export interface CommandEnv {
  session(command: Command): Promise<Session>;
}

export const EXIT_CODES_HELP = `
"migrate --version" (or -V) prints the version of migrator.

Exit codes:
  0    success, including nothing to do
  1    a migration, callback or before-hook failed while running (its state is recorded)
  2    usage error (unknown command or option, bad argument), or an engine that cannot do it
       (validate --rehearse on MySQL without --scratch-url)
  3    configuration error
  4    cannot connect to the database
  5    migration files invalid (name, parse error, duplicate, missing dependency, cycle),
       a dangerous lint finding, migrator.sum out of date, a failed rehearsal, or a
       deprecated feature under validate --strict-deprecations
  6    database state disagrees with the files (checksum, missing file, failed migration, order),
       the live schema drifted from the recorded one (verify, validate), the audit chain was
       tampered with (audit verify), or a baseline or import refused
  7    lock not acquired within the timeout, or held by a live run (unlock)
  8    pending migrations where none are allowed (status --check, validate --no-pending)
  9    not permitted: irreversible migration, role or protected environment (--confirm,
       --reason), rollback: disabled, a failed backup.command, or a database privilege missing
  70   internal error (a bug: please report it with the output of --verbose)
  130  interrupted (143 on SIGTERM)

Configuration, lowest to highest: defaults < config file (then its environments.<name> block) <
.env < environment variables (MIGRATOR_*, DATABASE_URL) < options. "migrate config" shows the result.
Default database: sqlite:./migrator.db; default migrations directory: ./migrations.
`;

/** `audit verify` for the `verify` subcommand of `audit`: the command's words, the program's name left out. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function buildProgram(io: CliIO, argv: ReadonlyArray<string>, lifecycle: Lifecycle = { onFinish: () => undefined }): Command {
  const program = new Command('migrate')
    .description('migrator: safe, clear, fast database migrations for PostgreSQL, MySQL/MariaDB and SQLite')
    .option('-c, --config <path>', 'config file (default: migrator.config.{yaml,yml,json,js} or .migratorrc* in the working directory)')
    .option('-e, --env <name>', 'the environments.<name> block of the config file to use (default: $MIGRATOR_ENV)')
    // Not --env-file: Node.js 20 takes that flag for itself wherever it appears (nodejs/node#54232).
    .option('--dotenv <path>', 'read variables from this file instead of ./.env')
    .option('--url <url>', 'database URL (default: $DATABASE_URL, else sqlite:./migrator.db)')
    .option('--dir <dir>', 'migrations directory; repeat for several (default: ./migrations)', collect)
    .option('--json', 'print one JSON document on stdout (logs stay on stderr)')
    .option('--verbose', 'debug logs, and stack traces on errors')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .option('--lock-timeout <duration>', 'how long to wait for the migration lock, e.g. 30s, 5m (default: 5m)')
    .option('--actor <name>', 'who is running this, for history, audit and roles (default: $MIGRATOR_ACTOR, the CI user, else the OS user)')
    .option('--reason <text>', 'why: recorded in every audit row of this run (required with --confirm in protected environments)')
    .option('--metrics-file <path>', 'write Prometheus metrics to this file when the command ends, for the node_exporter textfile collector (default: metrics.file, $MIGRATOR_METRICS_FILE)')
    .option('--pushgateway <url>', 'push Prometheus metrics to this Pushgateway when the command ends (default: metrics.pushgateway, $MIGRATOR_METRICS_PUSHGATEWAY)')
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://<host>:<port>/metrics while the command runs; 0 picks a free port (default: metrics.port, $MIGRATOR_METRICS_PORT)')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`error[E_USAGE]: ${text.replace(/^error:\s*/, '').trimEnd()}\n  hint: run "migrate --help" or "migrate <command> --help" for usage.\n`),
    });
  const env: CommandEnv = {
    session: (command) => createSession(command.optsWithGlobals<GlobalOptions>(), io, argv, lifecycle, commandPath(command)),
  };
  registerUp(program, env);
  registerDown(program, env);
  registerStatus(program, env);
  registerValidate(program, env);
  registerVerify(program, env);
  registerCreate(program, env);
  registerRepair(program, env);
  registerConfig(program, env);
  registerBaseline(program, env);
  registerHash(program, env);
  registerImport(program, env);
  registerLint(program, env);
  registerGraph(program, env);
  registerUnlock(program, env);
  registerDoctor(program, env);
  registerAudit(program, env);
  registerCompletion(program, env);
  return program;
}
