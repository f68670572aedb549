/**
 * Gathering the facts of a pre-flight (one read-only session: `diagnose`, the metadata, the lock,
 * the pending migrations) for `migrate doctor`, and the automatic pre-flight that runs before `up`
 * in a protected environment. The judging is core/doctor.ts's.
 */
import { doctorChecks, preflightError, unreachable, type DoctorCheck, type DoctorCommand, type DoctorInput } from '../core/doctor.js';
import { MigratorError } from '../core/errors.js';
import type { HistoryRow } from '../core/model.js';
import type { Diagnosis, Driver } from '../core/ports.js';
import { inspect } from '../core/plan/index.js';
import { METADATA_FORMAT } from '../core/run/executor.js';
import { checkLine, summaryLine } from './render/doctor.js';
import type { Session } from './session.js';

/** What `examine` found. */
export interface Examination {
  readonly command: DoctorCommand;
  /** The database, as the driver names it (the redacted target when it could not be reached). */
  readonly label: string;
  readonly checks: ReadonlyArray<DoctorCheck>;
  /** The driver's facts, `undefined` when the database could not be reached. */
  readonly diagnosis: Diagnosis | undefined;
  /** The connection error, when the database could not be reached: the check list holds only it. */
  readonly unreachable: MigratorError | undefined;
}

/**
 * Runs every check for `command` in one read-only session: creates nothing, writes nothing, takes
 * no lock. A database that cannot be reached (E_CONNECT) is a report with one failing check, not a
 * throw; configuration errors (E_CONFIG) are thrown.
 */
export async function examine(session: Session, command: DoctorCommand): Promise<Examination> {
  const files = await session.inspectFiles();
  let driver: Driver;
  try {
    driver = await session.open(true);
  } catch (error) {
    if (!(error instanceof MigratorError) || error.code !== 'E_CONNECT') throw error;
    return { command, label: session.target, checks: [unreachable(error)], diagnosis: undefined, unreachable: error };
  }
  try {
    const diagnosis = await driver.diagnose();
    const metadata = await driver.readState().catch((error: unknown) => {
      if (error instanceof MigratorError) return { error };
      throw error;
    });
    const lock = await driver.inspectLock().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
    const input: DoctorInput = {
      command, label: driver.label, diagnosis, lock, supportedFormat: METADATA_FORMAT,
      metadata: 'error' in metadata ? metadata : { format: metadata.format },
      // History written by a newer format cannot be read with confidence: no count then.
      migrations: 'error' in metadata || (metadata.format ?? 0) > METADATA_FORMAT ? undefined : pendingOf(session, files, metadata.rows),
    };
    return { command, label: driver.label, checks: doctorChecks(input), diagnosis, unreachable: undefined };
  } finally {
    await driver.close();
  }
}

/** The pending (and outdated) migrations, and the problems between files and history, as `status` counts them. */
function pendingOf(session: Session, files: Awaited<ReturnType<Session['inspectFiles']>>, rows: ReadonlyArray<HistoryRow>): DoctorInput['migrations'] {
  const inspection = inspect(files.migrations, rows, { outOfOrder: session.config.order === 'allow-out-of-order' });
  const pending = inspection.entries.filter((e) => e.state === 'pending' || e.state === 'outdated').map((e) => e.id);
  return { pending, problems: files.problems.length + inspection.problems.length };
}

/**
 * The automatic pre-flight: before `command` in a protected environment (never for a dry run),
 * runs the same checks as `migrate doctor --for <command>`. Warnings are logged and shown and do
 * not stop the run; a failing check refuses it with that check's own code (E_PRIVILEGE 9,
 * E_METADATA_VERSION 6) before anything is written, and E_CONNECT passes through as it is. Does nothing outside protected environments.
 */
export async function preflight(session: Session, command: DoctorCommand, options: { readonly dryRun?: boolean | undefined } = {}): Promise<void> {
  if (!session.config.protected || options.dryRun === true) return;
  const report = await examine(session, command);
  if (report.unreachable) throw report.unreachable;
  for (const check of report.checks) {
    if (check.status === 'warn') session.logger.warn({ check: check.name, subject: check.subject, hint: check.hint }, `pre-flight: ${check.subject === undefined ? '' : `${check.subject}: `}${check.detail}`);
    else if (check.status === 'unknown') session.logger.info({ check: check.name, subject: check.subject }, `pre-flight: ${check.detail}`);
  }
  const noteworthy = report.checks.filter((c) => c.status === 'warn' || c.status === 'fail');
  session.output.line(`Pre-flight for "${command}" (protected environment ${session.config.environment}): ${summaryLine(report.checks)}`);
  for (const check of noteworthy) session.output.line(checkLine(check));
  const error = preflightError(report.checks, command, session.config.environment);
  if (error) throw error;
}
