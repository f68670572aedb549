/**
 * The audit hash chain: `hash = sha256(prev_hash || canonical row)`. Canonical means the entry's
 * fields in a fixed order as JSON, so any engine, and `migrate audit verify`, recomputes the same hash.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../model.js';
import type { Driver } from '../ports.js';

const FIELDS = ['runId', 'at', 'actor', 'host', 'environment', 'command', 'event', 'version', 'fromVersion', 'toVersion', 'checksum', 'outcome', 'durationMs', 'detail'] as const satisfies ReadonlyArray<keyof AuditEntry>;

/** The hash of an entry chained after `prevHash`. */
export function auditHash(prevHash: string, entry: AuditEntry): string {
  const canonical = JSON.stringify(FIELDS.map((field) => entry[field]));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Appends entries to the driver's audit table, keeping the head; `mark`/`reset` follow rollbacks. */
export interface AuditChain {
  append(entry: AuditEntry): Promise<void>;
  /** The current head, to restore with `reset` if the transaction holding later appends rolls back. */
  mark(): string;
  reset(head: string): void;
}

export function createAuditChain(driver: Driver, head: string): AuditChain {
  let current = head;
  return {
    async append(entry) {
      const hash = auditHash(current, entry);
      await driver.appendAudit({ ...entry, prevHash: current, hash });
      current = hash;
    },
    mark: () => current,
    reset(previous) {
      current = previous;
    },
  };
}
