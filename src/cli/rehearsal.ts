/**
 * `validate --rehearse`: picks the throwaway target (a rolled-back transaction where DDL is
 * transactional and the engine cannot be copied, a temporary copy of a SQLite file, or an empty
 * scratch database given by --scratch-url), runs the core's rehearsal on it, and disposes of it.
 */
import { MigratorError } from '../core/errors.js';
import type { Migration } from '../core/model.js';
import type { Policy } from '../core/plan/index.js';
import { rehearse, rolledBackTransaction, type RehearsalReport } from '../core/run/rehearse.js';
import type { Driver } from '../core/ports.js';
import { withDriver, type Session } from './session.js';

export interface RehearsalOutcome {
  /** Where it ran, for people: `a rolled-back transaction on PostgreSQL ...`. */
  readonly where: string;
  readonly report: RehearsalReport;
}

export interface RehearsalRequest {
  readonly migrations: ReadonlyArray<Migration>;
  readonly policy: Policy;
  /** Migrations pending on the real target: their downs are checked. */
  readonly roundTrip: ReadonlySet<string>;
  /** An empty database to replay every migration on, instead of the engine's own way. */
  readonly scratchUrl: string | undefined;
}

async function scratchIsEmpty(driver: Driver, target: string): Promise<void> {
  const [state, snapshot] = [await driver.readState(), await driver.schemaSnapshot()];
  if (state.format === undefined && state.rows.length === 0 && snapshot.length === 0) return;
  const holds = state.format !== undefined ? 'migrator metadata tables' : `${snapshot.length} schema object${snapshot.length === 1 ? '' : 's'} (${snapshot.slice(0, 3).join('; ')}${snapshot.length > 3 ? '; ...' : ''})`;
  throw new MigratorError('E_USAGE', `the scratch database ${target} is not empty: it holds ${holds}`, {
    hint: 'A rehearsal replays every migration from zero, so it needs an empty database it may throw away: create a fresh one for each rehearsal (createdb, CREATE DATABASE) and pass it with --scratch-url.',
  });
}

/**
 * The scratch database must be another database of the same engine: the real one would be migrated
 * for real, and another engine's rehearsal says nothing about this one.
 */
async function scratchIsOther(session: Session, scratchUrl: string): Promise<void> {
  // Read-only sessions on both: nothing is created before the check has passed.
  const real = await withDriver(session, true, (driver) => driver.identity());
  const { driver: scratch, target, engine } = await session.openOther(scratchUrl, true);
  try {
    if (engine !== session.driver.engine) {
      throw new MigratorError('E_USAGE', `the scratch database ${target} is ${engine}, but the migrations are for ${session.driver.engine} (${session.target})`, {
        hint: `Give --scratch-url an empty ${session.driver.engine} database: a rehearsal on another engine says nothing about this one.`,
      });
    }
    if ((await scratch.identity()) === real) {
      throw new MigratorError('E_USAGE', `the scratch database ${target} is the database being validated (${session.target}): a rehearsal there would migrate it for real`, {
        hint: 'Give --scratch-url another, empty database created for the rehearsal.',
      });
    }
  } finally {
    await scratch.close();
  }
}

/** Runs the rehearsal; throws E_NOT_SUPPORTED where the engine offers no throwaway target and no scratch database was given. */
export async function runRehearsal(session: Session, request: RehearsalRequest): Promise<RehearsalOutcome> {
  try {
    return await rehearseOn(session, request);
  } catch (error) {
    if (!(error instanceof MigratorError) || error.code !== 'E_INTERRUPTED') throw error;
    throw new MigratorError('E_INTERRUPTED', 'interrupted during the rehearsal: the throwaway copy was discarded, the real database is unchanged', { hint: 'Run "migrate validate --rehearse" again when ready.' });
  }
}

async function rehearseOn(session: Session, request: RehearsalRequest): Promise<RehearsalOutcome> {
  const emit = (event: { readonly type: string }): void => void session.logger.debug({ rehearsal: true, event: event.type }, 'rehearsal event');
  const input = { migrations: request.migrations, policy: request.policy, roundTrip: request.roundTrip, context: session.context, emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs };
  if (request.scratchUrl !== undefined) {
    await scratchIsOther(session, request.scratchUrl);
    const { driver, target } = await session.openOther(request.scratchUrl, false);
    try {
      await scratchIsEmpty(driver, target);
      return { where: `the scratch database ${target}, replaying every migration from zero`, report: await rehearse({ ...input, driver, mode: 'disposable' }) };
    } finally {
      await driver.close();
    }
  }
  const support = session.driver.rehearsal;
  if (support.kind === 'none') {
    throw new MigratorError('E_NOT_SUPPORTED', `validate --rehearse needs --scratch-url on ${session.driver.engine}: ${support.reason}`, {
      hint: 'Pass --scratch-url (or set rehearsal.scratchUrl, MIGRATOR_SCRATCH_URL) to an empty database the rehearsal may fill and leave behind, e.g. one created for this CI job.',
    });
  }
  if (support.kind === 'copy') {
    const copy = await support.open({ cwd: session.io.cwd });
    try {
      return { where: copy.label, report: await rehearse({ ...input, driver: copy.driver, mode: 'disposable' }) };
    } finally {
      await copy.dispose();
    }
  }
  if (session.config.protected) {
    // In a rolled-back transaction the real database still sees the migrations' table locks, and
    // sequence changes (nextval, setval) are never rolled back: not on a protected database.
    throw new MigratorError('E_NOT_PERMITTED', `validate --rehearse would run the pending migrations on ${session.target} itself, inside a transaction rolled back at the end, and ${session.config.environment} is a protected environment`, {
      hint: 'Their table locks and sequence changes (nextval, setval are never rolled back) would reach it. Rehearse on an empty database instead: --scratch-url (or rehearsal.scratchUrl, MIGRATOR_SCRATCH_URL).',
      details: { command: 'validate --rehearse' },
    });
  }
  const driver = await session.open(false);
  try {
    await driver.begin();
    try {
      return { where: `a transaction rolled back at the end, on ${session.target}`, report: await rehearse({ ...input, driver: rolledBackTransaction(driver), mode: 'transaction' }) };
    } finally {
      await driver.rollback().catch(() => undefined);
    }
  } finally {
    await driver.close();
  }
}

/** One line about a rehearsal for people. */
export function rehearsalSummary(outcome: RehearsalOutcome): string {
  const { report } = outcome;
  if (report.applied.length === 0 && report.problems.length === 0 && report.skipped.length === 0) return 'Rehearsal: nothing pending to rehearse.';
  const parts = [`${report.applied.length} migration${report.applied.length === 1 ? '' : 's'} applied`];
  parts.push(`${report.roundTrips.length} down${report.roundTrips.length === 1 ? '' : 's'} checked (up -> down -> up)`);
  if (report.withoutDown.length > 0) parts.push(`no down to check for ${report.withoutDown.join(', ')}`);
  const lines = [`Rehearsed on ${outcome.where}: ${parts.join(', ')}${report.problems.length > 0 ? `, ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}` : ''}.`];
  if (report.skipped.length > 0) {
    const [first] = report.skipped;
    lines.push(`Not rehearsed: ${report.skipped.map((s) => s.id).join(', ')} (${first?.reason ?? ''}). Use --scratch-url to rehearse ${report.skipped.length === 1 ? 'it' : 'them'} on an empty database.`);
  }
  return lines.join('\n');
}
