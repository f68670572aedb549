/**
 * The problems found by comparing files with history. Each message says what happened and where;
 * each hint says what to do next.
 */
import type { Problem } from '../errors.js';
import type { HistoryRow, Migration } from '../model.js';
import { describeId } from './files.js';
import type { InFlight } from './types.js';
import type { DdlScope } from '../ports.js';

/** An applied migration's file changed since it was applied (never reported for repeatables). */
export function checksumMismatch(m: Migration, row: HistoryRow): Problem {
  return {
    code: 'E_CHECKSUM_MISMATCH',
    message: `${describeId(m.id)} was applied with checksum ${row.checksum} but ${m.file} now has ${m.checksum}`,
    hint:
      'restore the file as it was applied; if the change is intentional, run `migrate repair` to record the new ' +
      'checksum (editing an applied migration never re-runs it: put new changes in a new migration)',
    at: { file: m.file },
    details: { version: m.id, file: m.file, recorded: row.checksum, found: m.checksum },
  };
}

/** An applied version is higher than every file: the database was migrated by a newer checkout. */
export function unknownApplied(row: HistoryRow): Problem {
  return {
    code: 'E_UNKNOWN_APPLIED',
    message: `the database has version ${row.version} applied, which this checkout does not know; it was migrated by a newer checkout`,
    hint: 'update your checkout (git pull) to the revision that migrated this database',
    details: { version: row.version, script: row.script },
  };
}

/** An applied version's file is gone from a checkout that knows later versions. */
export function missingFile(row: HistoryRow): Problem {
  return {
    code: 'E_MISSING_FILE',
    message: `${describeId(row.version)} is applied but its file ${row.script} is missing: it was deleted or renamed`,
    hint: `restore ${row.script} (for example from version control): applied migrations must stay in place`,
    details: { version: row.version, script: row.script },
  };
}

/** What the journal wrote into a failed or in-progress row's `error` field. */
export interface JournalDetail {
  readonly direction: 'up' | 'down';
  /** The statement running when the row was last written, with the schema fingerprint before it. */
  readonly inFlight: InFlight | undefined;
}

const names = (value: unknown): value is string[] => Array.isArray(value) && value.every((name) => typeof name === 'string');

/** A journal's DDL scope, `undefined` unless every list is there (a row written by hand or an older tool). */
function readScope(value: unknown): DdlScope | undefined {
  const scope = value as Partial<Record<keyof DdlScope, unknown>> | undefined;
  if (typeof scope !== 'object' || scope === null || !names(scope.tables) || !names(scope.routines) || !names(scope.triggersOf)) return undefined;
  return { tables: scope.tables, routines: scope.routines, triggersOf: scope.triggersOf };
}

/** Reads a failed or in-progress row's journal detail (tolerating rows written by hand or older tools). */
export function journalDetail(row: HistoryRow): JournalDetail {
  let parsed: { direction?: unknown; inFlight?: { index?: unknown; fingerprint?: unknown; scope?: unknown } } = {};
  try {
    parsed = JSON.parse(row.error ?? '{}') as typeof parsed;
  } catch {
    // Not JSON: treat as an up with nothing in flight.
  }
  const flight = parsed.inFlight;
  const scope = readScope(flight?.scope);
  const inFlight = flight && typeof flight.index === 'number' && typeof flight.fingerprint === 'string' ? { index: flight.index, fingerprint: flight.fingerprint, ...(scope ? { scope } : {}) } : undefined;
  return { direction: parsed.direction === 'down' ? 'down' : 'up', inFlight };
}

/** Which way a failed or in-progress row was going: its error detail says `down` for a revert. */
export function failedDirection(row: HistoryRow): 'up' | 'down' {
  return journalDetail(row).direction;
}

/** A non-transactional migration failed or stopped part-way. */
export function failedMigration(row: HistoryRow, m: Migration | undefined): Problem {
  const { inFlight } = journalDetail(row);
  const what = row.state === 'failed' ? 'failed' : 'is still in progress (the run stopped)';
  const flight = inFlight ? `; statement ${inFlight.index + 1} was running when it stopped ("migrate up --resume" checks whether it took effect)` : '';
  const file = m?.file ?? row.script;
  if (m?.up.program || row.kind === 'script') {
    const repair = `\`migrate repair --version ${row.version} --as rolled-back\` (or \`--as applied\`)`;
    return {
      code: 'E_FAILED_MIGRATION',
      message: `${describeId(row.version)} (${file}) ${what} in its scripted ${failedDirection(row) === 'down' ? 'down(ctx)' : 'up(ctx)'}`,
      hint: failedDirection(row) === 'down'
        ? `a failed revert is not resumed: finish or undo what its down(ctx) did by hand, then run ${repair}`
        : 'fix the cause, then: if it stopped in a ctx.batch job, run `migrate up --resume` (up(ctx) runs again and each batch job continues ' +
          `after its last committed batch); otherwise undo or finish its work by hand and run ${repair}`,
      at: { file },
      details: { version: row.version, state: row.state, statementsApplied: row.statementsApplied, direction: failedDirection(row) },
    };
  }
  return {
    code: 'E_FAILED_MIGRATION',
    message:
      `${describeId(row.version)} (${file}) ${what} after ${row.statementsApplied} of ` +
      `${row.statementsTotal} statements${flight}`,
    hint:
      'fix the cause, then run `migrate up --resume` to continue after the last applied statement, or fix the ' +
      'database by hand and run `migrate repair` to accept it as it is',
    at: { file },
    details: {
      version: row.version,
      state: row.state,
      statementsApplied: row.statementsApplied,
      statementsTotal: row.statementsTotal,
      direction: failedDirection(row),
    },
  };
}

/** A pending version is lower than the highest applied one and the policy refuses it. */
export function outOfOrder(m: Migration, current: string): Problem {
  return {
    code: 'E_OUT_OF_ORDER',
    message: `${describeId(m.id)} (${m.file}) is pending but lower than the highest applied version ${current}`,
    hint: `renumber it above ${current}, or set \`order: allow-out-of-order\` to apply it anyway`,
    at: { file: m.file },
    details: { version: m.id, file: m.file, current },
  };
}

/** Why a migration cannot be reverted, or `undefined` when it can. */
export function irreversible(m: Migration): Problem | undefined {
  if (m.directives.irreversible) {
    return {
      code: 'E_IRREVERSIBLE',
      message: `${describeId(m.id)} cannot be reverted: it is marked \`-- migrate:irreversible\``,
      hint: 'revert it by hand with a new forward migration, or remove the directive if a down is safe',
      at: { file: m.file },
      details: { version: m.id, reason: 'marked' },
    };
  }
  if (m.down !== undefined) return undefined;
  const fix = howToAddDown(m);
  return {
    code: 'E_IRREVERSIBLE',
    message: `${describeId(m.id)} cannot be reverted: it has no down (${fix})`,
    hint: `${fix}, or revert it by hand with a new forward migration`,
    at: { file: m.file },
    details: { version: m.id, reason: 'no_down' },
  };
}

function howToAddDown(m: Migration): string {
  if (m.kind === 'script') return `export a down(ctx) function from ${m.file}`;
  const slash = m.file.lastIndexOf('/') + 1;
  const base = m.file.slice(slash);
  const undo = /^V/.test(base) ? `${m.file.slice(0, slash)}U${base.slice(1)}` : 'an undo file';
  return `add ${undo} or a \`-- migrate:down\` section`;
}
