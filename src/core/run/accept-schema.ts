/**
 * `migrate verify --accept`: the operator has checked the live schema and accepts it as it is. It
 * records the current snapshot under the lock, with an audit row naming what changed since the
 * previous one; it runs no migration SQL and leaves the history alone.
 */
import type { EventSink } from '../events.js';
import type { RunContext } from '../model.js';
import type { RecordedSchema } from '../ports.js';
import type { Driver } from '../ports.js';
import { diffSnapshots, sameSchema, type SnapshotDiff } from '../schema.js';
import { createAuditChain } from './audit.js';
import { METADATA_FORMAT, readHistory } from './executor.js';
import { takeRunLock } from './run-lock.js';
import { auditEntry } from './records.js';
import { takeSchemaRecord } from './schema-record.js';
import { inLockedTransaction } from './locked-transaction.js';

export interface AcceptSchemaInput {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly lockTimeoutMs: number;
}

export interface AcceptedSchema {
  /** The record replaced, `undefined` when none existed. */
  readonly previous: RecordedSchema | undefined;
  /** The record now stored (or, when `changed` is false, the one already there). */
  readonly record: RecordedSchema;
  /** What the acceptance changed: live schema against the previous record (all added when none). */
  readonly diff: SnapshotDiff;
  /** `false` when the live schema already matched the record: nothing was written. */
  readonly changed: boolean;
}

/** How many diff lines the audit row keeps: enough to see what was accepted, bounded in size. */
const AUDITED_LINES = 50;

/** Records the live schema under the lock; writes nothing when it already matches the record. */
export async function runAcceptSchema(input: AcceptSchemaInput): Promise<AcceptedSchema> {
  const { driver, context } = input;
  await takeRunLock(driver, context, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  let succeeded = false;
  try {
    await readHistory(driver);
    const previous = await driver.readRecordedSchema();
    const record = await takeSchemaRecord(driver, context);
    const diff = diffSnapshots(previous?.lines ?? [], record.lines);
    if (previous !== undefined && sameSchema(diff)) {
      succeeded = true;
      return { previous, record: previous, diff, changed: false };
    }
    await driver.prepareMetadata(METADATA_FORMAT);
    const chain = createAuditChain(driver, await driver.readAuditHead());
    await inLockedTransaction(driver, async () => {
      await driver.recordSchema(record);
      await chain.append(auditEntry(context, {
        event: 'schema.accepted', outcome: 'success', version: record.version,
        detail: {
          fingerprint: record.fingerprint, previous: previous ? { fingerprint: previous.fingerprint, at: previous.at, runId: previous.runId } : null,
          added: diff.added.length, removed: diff.removed.length,
          lines: [...diff.added.map((line) => `+ ${line}`), ...diff.removed.map((line) => `- ${line}`)].slice(0, AUDITED_LINES),
        },
      }));
    });
    succeeded = true;
    return { previous, record, diff, changed: true };
  } finally {
    // As in runRepair: an unlock refused after a success means someone else held the lock meanwhile.
    await driver.unlock().then(
      () => input.emit({ type: 'lock.released' }),
      (error: unknown) => {
        if (succeeded) throw error;
      },
    );
  }
}
