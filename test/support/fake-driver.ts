/**
 * An in-memory `Driver` for testing the core without a database (after Atlas's `mockDriver`): it
 * records every call, keeps the statements, history and audit rows it was given, and fails on demand.
 *
 * Transactions: `begin` snapshots the state and `rollback` restores it. With `transactionalDdl` (the
 * default) a rollback discards the statements, history rows and audit rows written since `begin`.
 * Without it, a rollback discards only the metadata writes (history and audit) and keeps the
 * statements, as MySQL keeps DDL effects; the implicit commit MySQL does before each DDL statement is
 * not modelled.
 */
import { createHash } from 'node:crypto';
import { MigratorError } from '../../src/core/errors.js';
import type { LockHolderInfo } from '../../src/core/events.js';
import type { HistoryRow, Statement } from '../../src/core/model.js';
import type { BatchCheckpoint, ChainedAuditEntry, Driver, LockAttempt, LockInspection, LockOwner, MetadataState, RecordedSchema } from '../../src/core/ports.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';

export interface FakeDriverOptions {
  /** Whether DDL takes part in transactions (default true). */
  readonly transactionalDdl?: boolean;
  /** Returns the error the `callIndex`-th (0-based, over the driver's life) `execute` throws, if any. */
  readonly failOn?: (sql: string, callIndex: number) => Error | undefined;
  /** Another session holds the lock until `releaseOther()`: `tryLock` reports this holder. */
  readonly lockHeldBy?: LockHolderInfo;
  /** `assertLock` succeeds this many times, then the lock is lost and it throws E_LOCK_LOST. */
  readonly loseLockAfter?: number;
  /** What `queryValue` returns for a query (verify checks); `1` when absent. */
  readonly queryValue?: (sql: string) => unknown;
  /** What `leftovers` reports after a failure (default none). */
  readonly leftovers?: ReadonlyArray<string>;
  /** What `inspectLock` reports until `breakLock` or a test changes `lockInspection` (default: a free lease). */
  readonly lockInspection?: LockInspection;
  /** The error `recordSchema` throws, if any (a full disk, a lost connection). */
  readonly failRecordSchema?: Error;
  /** `capabilities.auditAppendWithoutLock` (default false). */
  readonly auditAppendWithoutLock?: boolean;
  /** Rows `execute` reports for a statement (default: `undefined`, an engine that cannot tell). */
  readonly rowsOf?: (sql: string) => number | undefined;
}

/** An error as a fake engine raises it: `kind` and `position` are what `describeError` reports. */
export class FakeEngineError extends Error {
  constructor(message: string, readonly kind: 'lock_timeout' | 'connection_lost' | 'other' = 'other', readonly position?: number, readonly code = 'FAKE') {
    super(message);
  }
}

export interface FakeDriver extends Driver {
  /** Statements run and not rolled back, in order (`Statement.sql`). */
  readonly executed: string[];
  /** History rows by version, in the order they were last written. */
  readonly history: Map<string, HistoryRow>;
  /** Audit rows as appended (`readAudit` gives each its 1-based position as id); tests may push rows another session appended. */
  readonly audit: ChainedAuditEntry[];
  /** Format of the metadata tables, `undefined` until `prepareMetadata`; tests may set it. */
  format: number | undefined;
  /** Every port call in order: `tryLock`, `readState`, `begin`, `execute`, `writeHistory:applied`, `appendAudit:run.started`, `assertLock`, `commit`, `unlock`, ... */
  readonly calls: string[];
  /** Writes (`execute`, `prepareMetadata`, `writeHistory:*`, `appendAudit:*`) made while this session did not hold the lock. */
  readonly writesWithoutLock: string[];
  /** Whether this session holds the lock. */
  readonly holdsLock: boolean;
  /** Whether a transaction is open. */
  readonly inTransaction: boolean;
  /** The other session releases the lock: the next `tryLock` succeeds. */
  releaseOther(): void;
  /** Set to make `lockLost()` report the lock gone (a lease the heartbeat failed to renew). */
  lockGone: boolean;
  /**
   * What `inspectLock` returns; tests may replace it. `breakLock` compares its claim with it and,
   * when it matches, makes this session the holder (generation + 1); `unlock` then frees it.
   */
  lockInspection: LockInspection;
  /** The schema snapshot `recordSchema` stored (rolled back with its transaction); tests may set it. */
  recorded: RecordedSchema | undefined;
}

const FAKE_SYNTAX: SqlSyntax = Object.freeze({
  label: 'Fake',
  dollarQuotes: false,
  nestedBlockComments: false,
  backslashEscapes: false,
  escapeStrings: false,
  backtickIdentifiers: false,
  bracketIdentifiers: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  delimiterDirective: false,
  blockBodies: 'sqlite-trigger',
  nonTransactional: Object.freeze([]),
});

interface Snapshot {
  readonly executed: number;
  readonly audit: number;
  readonly history: ReadonlyArray<readonly [string, HistoryRow]>;
  readonly recorded: RecordedSchema | undefined;
}

/** Creates a fresh in-memory driver: no metadata tables, lock free unless `lockHeldBy`. */
/**
 * The `execute` calls made inside a transaction (after a `begin` not yet ended by `commit` or
 * `rollback`): a journaled migration makes none; only its final history and audit rows share one.
 */
export function executedInTransaction(calls: ReadonlyArray<string>): number {
  let open = false;
  let count = 0;
  for (const call of calls) {
    if (call === 'begin') open = true;
    else if (call === 'commit' || call === 'rollback') open = false;
    else if (call === 'execute' && open) count += 1;
  }
  return count;
}

export function createFakeDriver(options: FakeDriverOptions = {}): FakeDriver {
  const transactionalDdl = options.transactionalDdl ?? true;
  const executed: string[] = [];
  const checkpoints = new Map<string, BatchCheckpoint>();
  const history = new Map<string, HistoryRow>();
  const audit: ChainedAuditEntry[] = [];
  const calls: string[] = [];
  const writesWithoutLock: string[] = [];
  let heldByOther: LockHolderInfo | undefined = options.lockHeldBy;
  let holding = false;
  let lost = false;
  let assertions = 0;
  let executeCount = 0;
  let snapshot: Snapshot | undefined;

  const write = (call: string): void => {
    calls.push(call);
    if (!holding) writesWithoutLock.push(call);
  };
  const lockLost = (): MigratorError => new MigratorError('E_LOCK_LOST', 'fake driver: the lock was lost');

  const driver: FakeDriver = {
    label: 'Fake in-memory database',
    capabilities: Object.freeze({ transactionalDdl, statementTimeout: false, auditAppendWithoutLock: options.auditAppendWithoutLock ?? false }),
    syntax: FAKE_SYNTAX,
    dialect: 'sqlite',
    parameterStyle: 'question',
    executed,
    history,
    audit,
    format: undefined,
    calls,
    writesWithoutLock,
    get holdsLock() {
      return holding;
    },
    get inTransaction() {
      return snapshot !== undefined;
    },
    releaseOther() {
      heldByOther = undefined;
    },

    async tryLock(_owner: LockOwner): Promise<LockAttempt> {
      calls.push('tryLock');
      if (heldByOther !== undefined) return { acquired: false, holder: heldByOther };
      holding = true;
      lost = false;
      return { acquired: true };
    },
    async assertLock() {
      calls.push('assertLock');
      if (holding && options.loseLockAfter !== undefined && assertions >= options.loseLockAfter) {
        holding = false;
        lost = true;
      }
      if (!holding) throw lockLost();
      assertions += 1;
    },
    async unlock() {
      calls.push('unlock');
      if (holding && driver.lockInspection.state === 'held') driver.lockInspection = { strategy: driver.lockInspection.strategy, resource: driver.lockInspection.resource, state: 'free' };
      const wasLost = lost;
      holding = false;
      lost = false;
      if (wasLost) throw lockLost();
    },

    lockInspection: options.lockInspection ?? { strategy: 'lease', resource: 'fake lease', state: 'free' },
    async inspectLock() {
      calls.push('inspectLock');
      return driver.lockInspection;
    },
    async breakLock(expected, owner) {
      calls.push('breakLock');
      const current = driver.lockInspection;
      if (current.strategy === 'advisory') throw new MigratorError('E_NOT_SUPPORTED', 'fake driver: an advisory lock cannot be broken');
      if (current.state !== 'held' || current.lease.runId !== expected.runId || current.lease.generation !== expected.generation) return false;
      if (expected.onlyIfExpired && !current.lease.expired) return false;
      heldByOther = undefined;
      holding = true;
      lost = false;
      driver.lockInspection = {
        ...current,
        holder: { owner: owner.runId, host: owner.host, pid: owner.pid, user: owner.actor },
        lease: { ...current.lease, runId: owner.runId, generation: String(Number(current.lease.generation) + 1), expired: false, process: 'alive' },
      };
      return true;
    },

    async readState(): Promise<MetadataState> {
      calls.push('readState');
      return { format: driver.format, rows: driver.format === undefined ? [] : [...history.values()] };
    },
    async prepareMetadata(format) {
      write('prepareMetadata');
      const created = driver.format === undefined;
      driver.format = format;
      return { created };
    },
    async readAuditHead() {
      calls.push('readAuditHead');
      return audit.at(-1)?.hash ?? '';
    },
    async readAudit(filter) {
      calls.push('readAudit');
      // Ids are positions (1-based): the fake never deletes rows except by rollback.
      const matching = audit.map((entry, index) => ({ ...entry, id: index + 1 })).filter((row) =>
        (filter.since === undefined || row.at >= filter.since)
        && (filter.version === undefined || [row.version, row.fromVersion, row.toVersion].includes(filter.version))
        && (filter.actor === undefined || row.actor === filter.actor)
        && (filter.afterId === undefined || row.id > filter.afterId));
      if (filter.limit === undefined) return matching;
      return filter.newest === true ? matching.slice(Math.max(0, matching.length - filter.limit)) : matching.slice(0, filter.limit);
    },

    async begin() {
      calls.push('begin');
      if (snapshot !== undefined) throw new Error('fake driver: begin inside a transaction');
      snapshot = { executed: executed.length, audit: audit.length, history: [...history], recorded: driver.recorded };
    },
    async commit() {
      calls.push('commit');
      if (snapshot === undefined) throw new Error('fake driver: commit without a transaction');
      snapshot = undefined;
    },
    async rollback() {
      calls.push('rollback');
      if (snapshot === undefined) return;
      if (transactionalDdl) executed.length = snapshot.executed;
      audit.length = snapshot.audit;
      history.clear();
      for (const [version, row] of snapshot.history) history.set(version, row);
      driver.recorded = snapshot.recorded;
      snapshot = undefined;
    },
    async execute(statement: Statement) {
      write('execute');
      const index = executeCount;
      executeCount += 1;
      const error = options.failOn?.(statement.sql, index);
      if (error !== undefined) throw error;
      executed.push(statement.sql);
      return { rows: options.rowsOf?.(statement.sql) };
    },
    async query(sql, params) {
      // Counted and failed like execute; the parameters are recorded after the text, as JSON.
      write('query');
      const index = executeCount;
      executeCount += 1;
      const error = options.failOn?.(sql, index);
      if (error !== undefined) throw error;
      executed.push(params.length === 0 ? sql : `${sql} -- ${JSON.stringify(params)}`);
      return { rows: [], rowCount: options.rowsOf?.(sql) };
    },
    async queryValue(sql) {
      calls.push('queryValue');
      return options.queryValue === undefined ? 1 : options.queryValue(sql);
    },

    async writeHistory(row) {
      write(`writeHistory:${row.state}`);
      // A replaced row moves last, as ordering by applied time would place it.
      history.delete(row.version);
      history.set(row.version, row);
    },
    // The calls a real driver folds into one round trip, in the order they take effect.
    async commitStep(row, entry) {
      await driver.writeHistory(row);
      if (!(await driver.appendAudit(entry))) return false;
      await driver.assertLock();
      await driver.commit();
      return true;
    },
    // ctx.batch checkpoints: kept, not part of the transaction snapshot (batches are tested on real engines).
    async readCheckpoints(version) {
      return [...checkpoints.values()].filter((c) => c.version === version);
    },
    async saveCheckpoint(checkpoint) {
      checkpoints.set(`${checkpoint.version}\u0000${checkpoint.name}`, checkpoint);
    },
    async clearCheckpoints(version) {
      for (const [key, c] of checkpoints) if (c.version === version) checkpoints.delete(key);
    },
    async appendAudit(entry) {
      write(`appendAudit:${entry.event}`);
      // As the unique prev_hash index of metadata format 2: one successor per row.
      if (audit.some((row) => row.prevHash === entry.prevHash)) return false;
      audit.push(entry);
      return true;
    },

    describeError(error) {
      if (error instanceof FakeEngineError) return { message: error.message, code: error.code, position: error.position, kind: error.kind };
      return { message: error instanceof Error ? error.message : String(error), code: undefined, position: undefined, kind: 'other' };
    },
    lockLost() {
      return driver.lockGone;
    },
    async leftovers() {
      calls.push('leftovers');
      return options.leftovers ?? [];
    },
    lockGone: false,
    async schemaFingerprint() {
      calls.push('schemaFingerprint');
      // The fake's "schema" is what it executed and kept.
      return createHash('sha256').update(executed.join('\n')).digest('hex');
    },
    async schemaSnapshot() {
      calls.push('schemaSnapshot');
      return [...executed].sort();
    },
    async diagnose() {
      calls.push('diagnose');
      return { server: 'Fake 1.0', user: 'fake', privileges: [], storage: { databaseBytes: executed.length, path: undefined, freeBytes: undefined, totalBytes: undefined, unknownReason: 'the fake has no disk' } };
    },
    async identity() {
      return 'fake';
    },
    async recoveryPoint() {
      calls.push('recoveryPoint');
      return { kind: 'none', value: null, detail: 'the fake keeps no log' };
    },
    recorded: undefined,
    async readRecordedSchema() {
      calls.push('readRecordedSchema');
      return driver.format === undefined ? undefined : driver.recorded;
    },
    async recordSchema(record) {
      write('recordSchema');
      if (options.failRecordSchema !== undefined) throw options.failRecordSchema;
      driver.recorded = record;
    },

    async close() {
      calls.push('close');
    },
  };
  return driver;
}
