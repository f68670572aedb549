/**
 * The backup hook of protected environments: `backup.command` runs (through the shell, in its own
 * process group, bounded by `backup.timeout`) before `up` or `down` changes anything, and the run
 * does not start unless it succeeds. The command gets the run's context as MIGRATOR_* variables,
 * never a secret beyond the environment it inherits.
 */
import { MigratorError } from '../core/errors.js';
import type { Direction } from '../core/events.js';
import { runShell } from '../config/shell.js';
import type { Session } from './session.js';

/** What the hook did, for the run's audit row. */
export interface BackupOutcome {
  readonly durationMs: number;
  /** The last line the command printed on stdout (a backup id or file, by convention), scrubbed. */
  readonly output: string | undefined;
}

function lastLines(text: string, count: number): string[] {
  return text.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line !== '').slice(-count);
}

/**
 * Runs `backup.command` when the environment is protected and one is configured; `undefined` when
 * nothing ran. Throws E_BACKUP_FAILED (exit 9), audited where the metadata exists.
 */
export async function runBackupHook(session: Session, direction: Direction): Promise<BackupOutcome | undefined> {
  const { config, context, io } = session;
  const command = config.backup.command;
  if (!config.protected) return undefined;
  if (command === undefined) {
    session.logger.warn({ environment: config.environment }, 'protected environment without backup.command: the run relies on the recovery point the engine records (WAL LSN, binlog position, SQLite backup copy)');
    return undefined;
  }
  const started = performance.now();
  const env = {
    ...io.env,
    MIGRATOR_RUN_ID: context.runId,
    MIGRATOR_ENVIRONMENT: config.environment,
    MIGRATOR_DIRECTION: direction,
    MIGRATOR_ACTOR: context.actor,
    MIGRATOR_TARGET: session.target,
  };
  session.logger.info({ environment: config.environment, timeout_ms: config.backup.timeoutMs }, 'running backup.command before the run');
  try {
    const { stdout } = await runShell(command, { timeoutMs: config.backup.timeoutMs, cwd: io.cwd, env, signal: io.signal });
    const durationMs = Math.round(performance.now() - started);
    const output = lastLines(io.secrets.scrub(stdout), 1)[0];
    session.logger.info({ duration_ms: durationMs, output: output ?? null }, 'backup.command succeeded');
    return { durationMs, output };
  } catch (caught) {
    const failure = caught as { killed?: boolean; aborted?: boolean; overflowed?: boolean; code?: number | string; stderr?: string; message?: string };
    if (failure.aborted) {
      throw new MigratorError('E_INTERRUPTED', `interrupted while backup.command ran: "migrate ${direction}" did not start, nothing was changed`, {
        hint: 'The backup command and everything it started were stopped. Run the command again when ready.',
      });
    }
    const seconds = Math.round(config.backup.timeoutMs / 1000);
    const what = failure.overflowed ? 'printed more than 2 MiB and was stopped (write the backup to a file, not to stdout)' : failure.killed ? `did not finish within ${seconds}s (backup.timeout)` : failure.code === undefined ? `could not start: ${failure.message ?? 'unknown error'}` : `failed with exit code ${String(failure.code)}`;
    const said = lastLines(io.secrets.scrub(failure.stderr ?? ''), 5);
    const error = new MigratorError('E_BACKUP_FAILED', `backup.command ${what}, so "migrate ${direction}" did not start in the protected environment ${config.environment}: nothing was changed${said.length > 0 ? `\n  its last words:\n    ${said.join('\n    ')}` : ''}`, {
      hint: 'Run the backup command by hand to see why and fix it (or raise backup.timeout), then run again. A protected environment never migrates without its backup.',
      details: { environment: config.environment, direction, exitCode: failure.code ?? null, timedOut: failure.killed === true },
    });
    await session.auditRefusal(error, 'backup.failed');
    throw error;
  }
}
