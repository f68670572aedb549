/**
 * The plain data migrator works on: versions, migrations read from files, history read from the
 * database. Everything here is immutable data; behaviour lives in source/, plan/ and run/.
 */
import type { ScriptProgram } from './scripted.js';

/** A parsed version: `1.10` is parts ["1", "10"]. Parts are digit strings without leading zeros. */
export interface Version {
  /** The version as written in the file name (`2026_11_21_0930`, `01.2`). */
  readonly raw: string;
  /** Canonical form used as identity and in metadata: parts joined by `.`, trailing `.0`s dropped. */
  readonly canonical: string;
  readonly parts: ReadonlyArray<string>;
}

export type MigrationKind = 'versioned' | 'repeatable' | 'script';

/** A statement ready to send, and where it came from. */
export interface Statement {
  /** The SQL to send: without the delimiter that ended it, trimmed. */
  readonly sql: string;
  /** 1-based line in the file of the statement's first character. */
  readonly line: number;
  /** 1-based column of the statement's first character. */
  readonly column: number;
  /**
   * PostgreSQL `COPY ... FROM STDIN` only: the data lines that followed the statement in the file,
   * up to the `\.` line (excluded), each with its `\n`; send them as COPY data, never as SQL. A string
   * when the file was scanned whole; when it is streamed (source/stream.ts), an iterable of chunks
   * that can be read once, before asking the stream for the next statement. Absent otherwise.
   */
  readonly copyData?: string | AsyncIterable<string> | undefined;
}

/** Directives from the comment header of a file or section (`-- migrate:...`). */
export interface Directives {
  /** Migration ids this one depends on (`3`, `1.2`, `R__views`), canonicalised. */
  readonly depends: ReadonlyArray<string>;
  /** `true` unless `-- migrate:transaction off`. */
  readonly transaction: boolean;
  readonly irreversible: boolean;
  /** Lint rules accepted for this file. */
  readonly allow: ReadonlyArray<string>;
  /** Statement timeout in milliseconds, from `-- migrate:timeout`. */
  readonly timeoutMs: number | undefined;
}

/** One direction (up, down or verify) of a migration, parsed and ready to run. */
export interface Script {
  /** Path of the file it came from, relative to the working directory (for messages). */
  readonly file: string;
  readonly statements: ReadonlyArray<Statement>;
  /** Runs inside one transaction (with its history and audit rows) when the engine allows it. */
  readonly transactional: boolean;
  readonly timeoutMs: number | undefined;
  /**
   * Set for scripted migrations (`.ts`/`.js`): the exported function that is this direction;
   * `statements` is then empty and the executor calls it with a `ctx` instead.
   */
  readonly program?: ScriptProgram | undefined;
  /**
   * Set for a file too large to hold (source/streamed.ts): its statements are read from the file
   * as they run, `statements` is empty, and this says what the loader's pass over it found.
   */
  readonly stream?: StreamedFile | undefined;
}

/** What the loader's pass over a streamed file found (source/streamed.ts). */
export interface StreamedFile {
  /** Absolute path, read again when the migration runs. */
  readonly absolute: string;
  readonly bytes: number;
  /** How many statements it holds. */
  readonly statements: number;
  /** Every statement only reads or writes rows (INSERT, UPDATE, DELETE, COPY, ...): no DDL. */
  readonly allData: boolean;
}

/** How many statements `script` runs: its list, or the count the loader's pass took of a streamed file. */
export function statementCount(script: Script): number {
  return script.stream ? script.stream.statements : script.statements.length;
}

/** A migration as found on disk, fully parsed. */
export interface Migration {
  /** Identity: the canonical version for versioned migrations, `R__<description>` for repeatables. */
  readonly id: string;
  readonly kind: MigrationKind;
  /** `undefined` for repeatables. */
  readonly version: Version | undefined;
  readonly description: string;
  /** The up file, relative to the working directory. */
  readonly file: string;
  /** `sha256v1:<hex>` over the up part (header, up and verify sections). */
  readonly checksum: string;
  /** `sha256v1:<hex>` over the down part, or `undefined` when there is none. */
  readonly downChecksum: string | undefined;
  readonly up: Script;
  readonly down: Script | undefined;
  readonly verify: Script | undefined;
  readonly directives: Directives;
}

export type HistoryState = 'in_progress' | 'applied' | 'failed' | 'rolled_back';

/** One row of `migrator_history`: the database's word on one migration. */
export interface HistoryRow {
  /** Migration id: canonical version, or `R__<description>`. */
  readonly version: string;
  readonly description: string;
  readonly kind: MigrationKind | 'baseline';
  readonly script: string;
  readonly checksum: string;
  readonly downChecksum: string | null;
  readonly state: HistoryState;
  readonly batch: number;
  readonly statementsTotal: number;
  readonly statementsApplied: number;
  /** Running sha256 over the statements applied so far (resume checks the prefix is unchanged). */
  readonly appliedHash: string | null;
  readonly appliedBy: string;
  /** ISO-8601 UTC. */
  readonly appliedAt: string;
  readonly executionMs: number;
  /** Failure details as JSON text, or null. */
  readonly error: string | null;
  readonly runId: string;
  readonly toolVersion: string;
}

/** One append-only row of `migrator_audit` (id, prev_hash and hash are assigned when written). */
export interface AuditEntry {
  readonly runId: string;
  readonly at: string;
  readonly actor: string;
  readonly host: string;
  readonly environment: string;
  readonly command: string;
  readonly event: string;
  readonly version: string | null;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly checksum: string | null;
  readonly outcome: 'success' | 'failure' | 'info';
  readonly durationMs: number | null;
  /** JSON text, already redacted. */
  readonly detail: string;
}

/** The ambient facts of one run, supplied by the edge (CLI) to the core. */
export interface RunContext {
  readonly runId: string;
  readonly actor: string;
  readonly host: string;
  readonly pid: number;
  readonly environment: string;
  /** The command line, secrets redacted. */
  readonly command: string;
  readonly toolVersion: string;
  /** Clock, injectable for tests. */
  readonly now: () => Date;
  /** The CI job running this (GitHub Actions run, GitLab job, ...), recorded with every audit row. */
  readonly ciJobUrl?: string | undefined;
  /** Why this run happens (`--reason`), recorded in the detail of every audit row it writes. */
  readonly reason?: string | undefined;
  /** Scrubs known secret values from text the core persists (history errors, audit details). */
  readonly redact?: ((text: string) => string) | undefined;
}
