/**
 * The pre-flight checks of `migrate doctor`, and of `up` in protected environments: judges what a
 * driver found (`Driver.diagnose`, `Driver.inspectLock`), the metadata format and the pending
 * migrations, for the command about to run. Pure: the CLI gathers the facts and prints the checks.
 */
import { MigratorError, type ErrorCode } from './errors.js';
import type { Diagnosis, LockInspection, PrivilegeCheck, PrivilegeUse, StorageFacts } from './ports.js';
import { describeHolder } from './run/lock.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'unknown';
export type CheckName = 'connection' | 'server' | 'privilege' | 'metadata' | 'disk' | 'lock' | 'pending';

/** One line of the report. */
export interface DoctorCheck {
  readonly name: CheckName;
  readonly status: CheckStatus;
  /** What the check is about when there are several of a name: the privilege. */
  readonly subject?: string | undefined;
  /** What was found. */
  readonly detail: string;
  /** What to do about it. */
  readonly hint?: string | undefined;
  /** The error a failing check raises. */
  readonly code?: ErrorCode | undefined;
}

/** The commands `doctor --for` can prepare. */
export const DOCTOR_COMMANDS = ['status', 'validate', 'up', 'down', 'repair', 'baseline'] as const;
export type DoctorCommand = (typeof DOCTOR_COMMANDS)[number];

/** Which privileges each command needs: those for reading, or also those for migrating. */
const USES: Record<DoctorCommand, PrivilegeUse> = { status: 'read', validate: 'read', up: 'migrate', down: 'migrate', repair: 'migrate', baseline: 'migrate' };

/** Free space below either limit is a warning: 1 GiB, or 5 % of the file system. */
export const LOW_DISK = Object.freeze({ bytes: 1024 ** 3, ratio: 0.05 });

export interface DoctorInput {
  readonly command: DoctorCommand;
  /** The driver's label: which database, as whom. */
  readonly label: string;
  readonly diagnosis: Diagnosis;
  /** The stored metadata format (`undefined`: no tables yet), or the error reading it raised. */
  readonly metadata: { readonly format: number | undefined } | { readonly error: MigratorError };
  /** The format this migrator writes (METADATA_FORMAT). */
  readonly supportedFormat: number;
  /** The run lock as `inspectLock` saw it, or why it could not be read. */
  readonly lock: LockInspection | { readonly error: string };
  /** Ids of the pending (and outdated) migrations, and how many problems files and history have; `undefined` when the history could not be read. */
  readonly migrations: { readonly pending: ReadonlyArray<string>; readonly problems: number } | undefined;
}

/** Every check for `input.command`, in report order. */
export function doctorChecks(input: DoctorInput): ReadonlyArray<DoctorCheck> {
  const { diagnosis } = input;
  return [
    { name: 'connection', status: 'ok', detail: `connected to ${input.label} as ${diagnosis.user}` },
    { name: 'server', status: 'ok', detail: diagnosis.server },
    ...diagnosis.privileges.filter((p) => p.neededFor === 'read' || USES[input.command] === 'migrate').map(privilegeCheck),
    metadataCheck(input),
    diskCheck(diagnosis.storage),
    lockCheck(input.lock),
    pendingCheck(input.migrations),
  ];
}

/** The one check of a database that cannot be reached (E_CONNECT): nothing else can be known. */
export function unreachable(error: MigratorError): DoctorCheck {
  return { name: 'connection', status: 'fail', detail: error.message, hint: error.hint, code: error.code };
}

function privilegeCheck(privilege: PrivilegeCheck): DoctorCheck {
  const base = { name: 'privilege', subject: privilege.privilege, detail: privilege.detail } as const;
  if (privilege.ok === true) return { ...base, status: 'ok' };
  if (privilege.ok === undefined) return { ...base, status: 'unknown', hint: 'Check this grant by hand: docs/security.md lists what each command needs.' };
  return { ...base, status: 'fail', code: 'E_PRIVILEGE', hint: `${privilege.fix ? `Grant it: ${privilege.fix};` : 'Grant it,'} or run as a user who has it (docs/security.md lists what each command needs).` };
}

function metadataCheck(input: DoctorInput): DoctorCheck {
  if ('error' in input.metadata) {
    const { error } = input.metadata;
    return { name: 'metadata', status: 'fail', detail: error.message, hint: error.hint ?? 'See docs/doctor.md.', code: error.code };
  }
  const { format } = input.metadata;
  const supported = input.supportedFormat;
  if (format === undefined) return { name: 'metadata', status: 'ok', detail: 'no metadata tables yet: the first "migrate up" creates them' };
  if (format > supported) {
    return { name: 'metadata', status: 'fail', code: 'E_METADATA_VERSION', detail: `format ${format}, newer than the ${supported} this migrator understands`, hint: 'A newer migrator has migrated this database: upgrade migrator before running it here.' };
  }
  if (format < supported) return { name: 'metadata', status: 'ok', detail: `format ${format}: the next writing run upgrades it to ${supported}` };
  return { name: 'metadata', status: 'ok', detail: `format ${format}` };
}

/** `1.5 GiB`, `312 MiB`, `1 GiB`, `900 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit] ?? 'B'}`;
}

function diskCheck(storage: StorageFacts): DoctorCheck {
  const size = storage.databaseBytes === undefined ? 'database size unknown' : `database ${formatBytes(storage.databaseBytes)}`;
  if (storage.freeBytes === undefined) {
    return { name: 'disk', status: 'unknown', detail: `free space unknown: ${storage.unknownReason ?? 'the engine does not say'}; ${size}`, hint: 'Check the free space of the database server\'s disk yourself before a large migration.' };
  }
  const ratio = storage.totalBytes ? storage.freeBytes / storage.totalBytes : undefined;
  const share = ratio === undefined ? '' : ` of ${formatBytes(storage.totalBytes ?? 0)} (${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%)`;
  const detail = `${formatBytes(storage.freeBytes)} free${share} at ${storage.path ?? '?'}; ${size}`;
  if (storage.freeBytes >= LOW_DISK.bytes && (ratio === undefined || ratio >= LOW_DISK.ratio)) return { name: 'disk', status: 'ok', detail };
  return {
    name: 'disk', status: 'warn', detail: `${detail}: below ${formatBytes(LOW_DISK.bytes)} or ${LOW_DISK.ratio * 100}% free`,
    hint: 'A migration that rewrites a table (ALTER TABLE, CREATE INDEX, a SQLite table rebuild) can need as much free space as the table itself: make room before migrating.',
  };
}

function lockCheck(lock: DoctorInput['lock']): DoctorCheck {
  if ('error' in lock) return { name: 'lock', status: 'unknown', detail: `cannot tell whether the run lock is free: ${lock.error}` };
  if (lock.state === 'free') return { name: 'lock', status: 'ok', detail: `free (${lock.resource})` };
  const holder = describeHolder(lock.holder);
  if (lock.strategy === 'lease' && (lock.lease.expired || lock.lease.process === 'gone')) {
    return { name: 'lock', status: 'ok', detail: `left by ${holder}, whose ${lock.lease.expired ? 'lease has expired' : 'process is gone'}: the next run takes it over` };
  }
  return {
    name: 'lock', status: 'warn', detail: `held by ${holder} (${lock.resource})`,
    hint: 'Another run is migrating this database now: a writing command waits for it (up to lock.timeout). If that run is dead, see "migrate unlock".',
  };
}

function pendingCheck(migrations: DoctorInput['migrations']): DoctorCheck {
  if (migrations === undefined) return { name: 'pending', status: 'unknown', detail: 'cannot count the pending migrations: the history could not be read' };
  const { pending, problems } = migrations;
  const shown = pending.length > 5 ? `${pending.slice(0, 5).join(', ')}, ...` : pending.join(', ');
  const detail = pending.length === 0 ? 'none: the database is up to date with the files' : `${pending.length} pending: ${shown}`;
  if (problems === 0) return { name: 'pending', status: 'ok', detail };
  return { name: 'pending', status: 'warn', detail: `${detail}; ${problems} problem${problems === 1 ? '' : 's'} between the files and the history`, hint: 'Run "migrate validate" to see them: "up" refuses to run until they are fixed.' };
}

// The most fundamental failure decides the error: nothing else can be trusted without a
// connection, and an unknown metadata format says this migrator should not touch the database.
const RANK: ReadonlyArray<ErrorCode> = ['E_CONNECT', 'E_METADATA_VERSION', 'E_PRIVILEGE'];
const rank = (check: DoctorCheck): number => {
  const at = RANK.indexOf(check.code ?? 'E_INTERNAL');
  return at < 0 ? RANK.length : at;
};

function failing(checks: ReadonlyArray<DoctorCheck>): DoctorCheck[] {
  return checks.filter((c) => c.status === 'fail').sort((a, b) => rank(a) - rank(b));
}

const named = (check: DoctorCheck): string => (check.subject === undefined ? `${check.name} (${check.detail})` : `${check.name} ${check.subject}`);

/**
 * The error `migrate doctor` ends with after printing its report: the code of the worst failing
 * check (E_CONNECT before E_METADATA_VERSION before E_PRIVILEGE), naming every failing check.
 * `undefined` when none failed (warnings and unknowns never fail).
 */
export function doctorError(checks: ReadonlyArray<DoctorCheck>, command: DoctorCommand, label: string): MigratorError | undefined {
  const failed = failing(checks);
  const worst = failed[0];
  if (worst === undefined) return undefined;
  return new MigratorError(worst.code ?? 'E_PRIVILEGE', `${failed.length} pre-flight check${failed.length === 1 ? '' : 's'} failed for "${command}" on ${label}: ${failed.map(named).join('; ')}`, {
    hint: failed.length === 1 ? worst.hint ?? 'See docs/doctor.md.' : 'Fix each failing check listed above; docs/doctor.md explains them.',
    details: { checks: failed },
  });
}

/**
 * The error of a failed automatic pre-flight before `command` in the protected environment
 * `environment`, with the worst failing check's own code (as `doctorError`), naming every failing check and its code in `details`.
 */
export function preflightError(checks: ReadonlyArray<DoctorCheck>, command: DoctorCommand, environment: string): MigratorError | undefined {
  const failed = failing(checks);
  const worst = failed[0];
  if (worst === undefined) return undefined;
  // The worst check's own code, as `migrate doctor` and an unprotected run give it: one fault, one exit code.
  return new MigratorError(worst.code ?? 'E_PRIVILEGE', `"${command}" refused in the protected environment ${environment}: ${failed.length} pre-flight check${failed.length === 1 ? '' : 's'} failed: ${failed.map(named).join('; ')}`, {
    hint: `Nothing was changed. ${worst.hint ?? ''} Run "migrate doctor --env ${environment} --for ${command}" for the full report.`.replace(/\s+/g, ' '),
    details: { checks: failed, codes: [...new Set(failed.map((c) => c.code))] },
  });
}
