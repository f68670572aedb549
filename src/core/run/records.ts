/**
 * Builds the history and audit records of a run. Kept apart from execution so the shapes written
 * to the metadata tables are defined in one place.
 */
import type { AuditEntry, HistoryRow, HistoryState, Migration, RunContext } from '../model.js';

export interface HistoryFacts {
  readonly state: HistoryState;
  readonly batch: number;
  readonly statementsTotal: number;
  readonly statementsApplied: number;
  readonly appliedHash: string | null;
  readonly executionMs: number;
  readonly error: string | null;
}

export function historyRow(migration: Migration, context: RunContext, facts: HistoryFacts): HistoryRow {
  const redact = context.redact ?? ((text: string) => text);
  return {
    version: migration.id,
    description: migration.description,
    kind: migration.kind,
    script: migration.file,
    checksum: migration.checksum,
    downChecksum: migration.downChecksum ?? null,
    appliedBy: context.actor,
    appliedAt: context.now().toISOString(),
    runId: context.runId,
    toolVersion: context.toolVersion,
    ...facts,
    // A server's error message can quote anything, a password in a connection string included.
    error: facts.error === null ? null : redact(facts.error),
  };
}

export interface AuditFacts {
  readonly event: string;
  readonly outcome: AuditEntry['outcome'];
  readonly version?: string | null;
  readonly fromVersion?: string | null;
  readonly toVersion?: string | null;
  readonly checksum?: string | null;
  readonly durationMs?: number | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export function auditEntry(context: RunContext, facts: AuditFacts): AuditEntry {
  const redact = context.redact ?? ((text: string) => text);
  return {
    runId: context.runId,
    at: context.now().toISOString(),
    actor: context.actor,
    host: context.host,
    environment: context.environment,
    command: redact(context.command),
    event: facts.event,
    version: facts.version ?? null,
    fromVersion: facts.fromVersion ?? null,
    toVersion: facts.toVersion ?? null,
    checksum: facts.checksum ?? null,
    outcome: facts.outcome,
    durationMs: facts.durationMs ?? null,
    detail: redact(JSON.stringify({ ...facts.detail, ...(context.reason === undefined ? {} : { reason: context.reason }), ...(context.ciJobUrl === undefined ? {} : { ciJob: context.ciJobUrl }) })),
  };
}
