/**
 * `migrate baseline --version V`: adopt a database that already has its schema (made by hand or by
 * another tool). One `baseline` history row says versions up to V are in place; nothing is run.
 * Only a database without migration history can be baselined.
 */
import { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { RunContext } from '../model.js';
import type { Driver } from '../ports.js';
import { parseVersion } from '../version.js';
import { createAuditChain } from './audit.js';
import { METADATA_FORMAT, readHistory } from './executor.js';
import { takeRunLock } from './run-lock.js';
import { auditEntry } from './records.js';
import { takeSchemaRecord } from './schema-record.js';
import { inLockedTransaction } from './locked-transaction.js';

export interface BaselineInput {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly lockTimeoutMs: number;
  /** The version the existing schema corresponds to, as typed (`V12`, `12`, `2026_01_01`). */
  readonly version: string;
  readonly description: string;
}

/** Records the baseline under the lock; returns its canonical version. */
export async function runBaseline(input: BaselineInput): Promise<string> {
  const { driver, context } = input;
  const version = parseVersion(input.version.replace(/^[Vv]/, ''));
  if (!version) throw new MigratorError('E_USAGE', `"${input.version}" is not a version`, { hint: 'Use digits separated by "." or "_", e.g. --version 12 or --version 2026_01_15.' });
  await takeRunLock(driver, context, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  try {
    const { rows } = await readHistory(driver);
    const recorded = rows.filter((row) => row.state !== 'rolled_back');
    if (recorded.length > 0) {
      throw new MigratorError('E_BASELINE_REFUSED', `cannot baseline ${driver.label}: it already has ${recorded.length} migration${recorded.length === 1 ? '' : 's'} recorded (highest ${recorded.map((r) => r.version).at(-1)})`, {
        hint: 'A baseline adopts a database without history. Run "migrate status" to see where it stands.',
      });
    }
    await driver.prepareMetadata(METADATA_FORMAT);
    const chain = createAuditChain(driver, await driver.readAuditHead());
    // The schema as it is now is what the baseline adopts: drift checks start from it.
    const schema = await takeSchemaRecord(driver, context, version.canonical);
    await inLockedTransaction(driver, async () => {
      await driver.recordSchema(schema);
      await driver.writeHistory({
        version: version.canonical, description: input.description, kind: 'baseline', script: '', checksum: 'baseline', downChecksum: null,
        state: 'applied', batch: 1, statementsTotal: 0, statementsApplied: 0, appliedHash: null, appliedBy: context.actor,
        appliedAt: context.now().toISOString(), executionMs: 0, error: null, runId: context.runId, toolVersion: context.toolVersion,
      });
      await chain.append(auditEntry(context, { event: 'baseline', outcome: 'success', version: version.canonical, toVersion: version.canonical, detail: { description: input.description } }));
    });
    return version.canonical;
  } finally {
    await driver.unlock().catch(() => undefined);
  }
}
