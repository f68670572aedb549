/**
 * The one error hierarchy of migrator. Every failure a user can meet is a {@link MigratorError} with
 * a stable `code`; `main.ts` maps the code's {@link ExitCategory} to the process exit code, and the
 * CLI renders `error[E_CODE]: message`, `at: file:line`, `hint: ...`.
 */

/** Exit codes: a public contract (DESIGN.md section 6). */
export const ExitCode = {
  ok: 0,
  migrationFailed: 1,
  usage: 2,
  config: 3,
  connection: 4,
  invalidFiles: 5,
  stateMismatch: 6,
  lockTimeout: 7,
  pending: 8,
  notPermitted: 9,
  internal: 70,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCategory = keyof typeof ExitCode;

/** Stable error codes, each with the exit category that reports it. */
export const ErrorCodes = {
  E_USAGE: 'usage',
  E_CONFIG: 'config',
  E_CONNECT: 'connection',
  E_PARSE: 'invalidFiles',
  E_FILE_NAME: 'invalidFiles',
  E_FILE_READ: 'invalidFiles',
  E_DUPLICATE_VERSION: 'invalidFiles',
  E_MISSING_DEPENDENCY: 'invalidFiles',
  E_DEPENDENCY_CYCLE: 'invalidFiles',
  E_MIXED_TRANSACTION: 'invalidFiles',
  E_LINT: 'invalidFiles',
  E_SUM_MISMATCH: 'invalidFiles',
  E_REHEARSAL: 'invalidFiles',
  E_DEPRECATED: 'invalidFiles',
  E_UNKNOWN_TARGET: 'usage',
  E_CHECKSUM_MISMATCH: 'stateMismatch',
  E_MISSING_FILE: 'stateMismatch',
  E_FAILED_MIGRATION: 'stateMismatch',
  E_OUT_OF_ORDER: 'stateMismatch',
  E_UNKNOWN_APPLIED: 'stateMismatch',
  E_METADATA_VERSION: 'stateMismatch',
  E_BASELINE_REFUSED: 'stateMismatch',
  E_IMPORT_REFUSED: 'stateMismatch',
  E_SCHEMA_DRIFT: 'stateMismatch',
  E_AUDIT_TAMPERED: 'stateMismatch',
  E_LOCK_TIMEOUT: 'lockTimeout',
  E_LOCK_HELD: 'lockTimeout',
  E_LOCK_LOST: 'migrationFailed',
  E_MIGRATION_FAILED: 'migrationFailed',
  E_CALLBACK_FAILED: 'migrationFailed',
  E_HOOK_FAILED: 'migrationFailed',
  E_PENDING: 'pending',
  E_IRREVERSIBLE: 'notPermitted',
  E_DEPENDENT_APPLIED: 'notPermitted',
  E_PRIVILEGE: 'notPermitted',
  E_NOT_PERMITTED: 'notPermitted',
  E_BACKUP_FAILED: 'notPermitted',
  E_CREATE_EXISTS: 'usage',
  E_NOT_SUPPORTED: 'usage',
  E_INTERRUPTED: 'interrupted',
  E_INTERNAL: 'internal',
} as const satisfies Record<string, ExitCategory>;

export type ErrorCode = keyof typeof ErrorCodes;

/** Where in a migration file a problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface MigratorErrorOptions {
  readonly hint?: string;
  readonly at?: SourceLocation;
  readonly cause?: unknown;
  /** Extra machine-readable facts for `--json` output (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Base of every error migrator reports on purpose. Anything else reaching main.ts is a bug (exit 70). */
export class MigratorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly at: SourceLocation | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: MigratorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MigratorError';
    this.code = code;
    this.hint = options.hint;
    this.at = options.at;
    this.details = options.details ?? {};
  }

  /** The exit category this error maps to. */
  get category(): ExitCategory {
    return ErrorCodes[this.code];
  }
}

/** One problem among several found by a check that reports everything at once (validate, plan). */
export interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
  readonly at?: SourceLocation;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Several problems found together; the first one decides the code (and so the exit code). */
export class ProblemsError extends MigratorError {
  readonly problems: ReadonlyArray<Problem>;

  constructor(problems: ReadonlyArray<Problem>) {
    const first = problems[0];
    if (first === undefined) throw new TypeError('ProblemsError needs at least one problem');
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(first.code, first.message + more, {
      ...(first.hint === undefined ? {} : { hint: first.hint }),
      ...(first.at === undefined ? {} : { at: first.at }),
      details: { problems },
    });
    this.name = 'ProblemsError';
    this.problems = problems;
  }
}

/** Orders problems so the most fundamental comes first: bad files before bad state. */
export function sortProblems(problems: ReadonlyArray<Problem>): Problem[] {
  const rank = (p: Problem): number => (ErrorCodes[p.code] === 'invalidFiles' ? 0 : 1);
  return [...problems].sort((a, b) => rank(a) - rank(b));
}
