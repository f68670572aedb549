/**
 * The one place that decides the exit code. Every error is mapped here: MigratorError by its
 * code's category, commander's usage errors to 2, anything else to 70 (a bug).
 */
import { CommanderError } from 'commander';
import { ExitCode, MigratorError } from './core/errors.js';
import type { CliIO, CommandOutcome } from './cli/io.js';
import { buildProgram } from './cli/program.js';
import { registerVariableSecrets } from './config/load.js';
import { createSecretRegistry } from './config/redact.js';
import { errorJson, renderError } from './cli/render/error.js';
import { toolVersion } from './version.js';

function exitCodeOf(error: MigratorError, io: CliIO): number {
  if (error.code === 'E_INTERRUPTED' && io.signal.reason === 'SIGTERM') return ExitCode.terminated;
  return ExitCode[error.category];
}

function internalError(error: unknown): MigratorError {
  return new MigratorError('E_INTERNAL', `internal error: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    hint: `This is a bug in migrator ${toolVersion()} (Node.js ${process.version}, ${process.platform}). Please report it with the output of the same command run with --verbose.`,
  });
}

/**
 * The redactor, seeded before anything runs with the secrets the process was given directly
 * (`--url`, DATABASE_URL, MIGRATOR_URL, MIGRATOR_PASSWORD), and streams that scrub with it.
 */
function protectedIO(argv: ReadonlyArray<string>, io: Omit<CliIO, 'secrets'>): CliIO {
  const secrets = createSecretRegistry();
  registerVariableSecrets(io.env, secrets);
  // Every option that takes a URL with possible credentials.
  const urlOptions = ['--url', '--scratch-url', '--pushgateway'];
  argv.forEach((arg, i) => {
    if (urlOptions.includes(argv[i - 1] ?? '')) secrets.addUrl(arg);
    const inline = urlOptions.find((option) => arg.startsWith(`${option}=`));
    if (inline !== undefined) secrets.addUrl(arg.slice(inline.length + 1));
  });
  return { ...io, secrets, stdout: (text) => io.stdout(secrets.scrub(text)), stderr: (text) => io.stderr(secrets.scrub(text)) };
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: ReadonlyArray<string>, processIO: Omit<CliIO, 'secrets'>): Promise<number> {
  const io = protectedIO(argv, processIO);
  const finishers: Array<(outcome: CommandOutcome) => Promise<void>> = [];
  let error: unknown;
  const exitCode = await run(argv, io, (finisher) => void finishers.push(finisher), (caught) => {
    error = caught;
  });
  // Side by side: a collector that is down must not delay a metrics push by its export timeout.
  const results = await Promise.allSettled(finishers.map((finisher) => finisher({ exitCode, error })));
  for (const result of results) {
    if (result.status === 'rejected') io.stderr(`warning: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}\n`);
  }
  return exitCode;
}

async function run(argv: ReadonlyArray<string>, io: CliIO, onFinish: (finisher: (outcome: CommandOutcome) => Promise<void>) => void, failed: (error: unknown) => void): Promise<number> {
  // Handled here rather than by commander: a global --version would swallow "down --version <v>".
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout(`${toolVersion()}\n`);
    return ExitCode.ok;
  }
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  let stdoutUsed = false;
  const trackedIO: CliIO = { ...io, stdout: (text) => { stdoutUsed = true; io.stdout(text); } };
  try {
    await buildProgram(trackedIO, argv, { onFinish }).parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (caught) {
    failed(caught);
    if (caught instanceof CommanderError) {
      // Help "fails" with exit code 0; real usage errors were already printed on stderr.
      if (caught.exitCode === 0) return ExitCode.ok;
      if (json) io.stdout(`${JSON.stringify({ ok: false, error: { code: 'E_USAGE', message: caught.message.replace(/^error:\s*/, ''), hint: 'run "migrate --help" for usage', at: null, details: {} } }, null, 2)}\n`);
      return ExitCode.usage;
    }
    const error = caught instanceof MigratorError ? caught : internalError(caught);
    io.stderr(renderError(error, verbose || error.code === 'E_INTERNAL'));
    if (json && !stdoutUsed) io.stdout(`${JSON.stringify({ ok: false, error: errorJson(error) }, null, 2)}\n`);
    return exitCodeOf(error, io);
  }
}
