/**
 * Recording the schema migrator leaves behind (docs/drift.md): after a run that executed steps,
 * after a baseline, after a repair that changed something and on `verify --accept`. The record is
 * what `migrate verify` and `validate` compare the live schema with. Always called under the lock.
 */
import type { EventSink } from '../events.js';
import type { RunContext } from '../model.js';
import { currentRows, highestApplied } from '../plan/history.js';
import type { Driver, RecordedSchema } from '../ports.js';
import { snapshotDigest } from '../schema.js';

/**
 * Reads the live schema and the current version (from the history this session sees, its own open
 * transaction included, unless `version` is given) into a record stamped with the run.
 */
export async function takeSchemaRecord(driver: Driver, context: RunContext, version?: string | null): Promise<RecordedSchema> {
  const lines = await driver.schemaSnapshot();
  const current = version !== undefined ? version : highestApplied(currentRows((await driver.readState()).rows).values());
  return { fingerprint: snapshotDigest(lines), lines, at: context.now().toISOString(), runId: context.runId, version: current, toolVersion: context.toolVersion };
}

/**
 * Records the schema after a run's steps, whatever their outcome: a failed migration's partial
 * effects are the tool's doing too. Never throws: the run's outcome is already decided, so a
 * failure here becomes a `snapshot.failed` event (a warning in the logs) and the previous record
 * stays, which `migrate verify` then shows as drift until a later run records again.
 */
export async function recordAfterRun(driver: Driver, context: RunContext, emit: EventSink): Promise<void> {
  try {
    const record = await takeSchemaRecord(driver, context);
    await driver.recordSchema(record);
    emit({ type: 'snapshot.recorded', fingerprint: record.fingerprint, objects: record.lines.length });
  } catch (error) {
    emit({ type: 'snapshot.failed', message: error instanceof Error ? error.message : String(error) });
  }
}
