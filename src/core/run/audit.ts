/**
 * The audit hash chain: `hash = sha256(prev_hash || canonical row)`. Canonical means the entry's
 * fields in a fixed order as JSON, so any engine, and `migrate audit verify`, recomputes the same hash.
 */
import { createHash } from 'node:crypto';
import { MigratorError } from '../errors.js';
import { TABLES } from '../metadata.js';
import type { AuditEntry, HistoryRow } from '../model.js';
import type { Driver } from '../ports.js';

const FIELDS = ['runId', 'at', 'actor', 'host', 'environment', 'command', 'event', 'version', 'fromVersion', 'toVersion', 'checksum', 'outcome', 'durationMs', 'detail'] as const satisfies ReadonlyArray<keyof AuditEntry>;

/** The hash of an entry chained after `prevHash`. */
export function auditHash(prevHash: string, entry: AuditEntry): string {
  const canonical = JSON.stringify(FIELDS.map((field) => entry[field]));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Appends entries to the driver's audit table, keeping the head; `mark`/`reset` follow rollbacks. */
export interface AuditChain {
  /**
   * Appends after the head. When another session appended first (a lock-timeout row written
   * without the lock), reads the head again and re-chains, a few times.
   * @throws MigratorError E_AUDIT_TAMPERED when the row cannot be chained (see `chainError`).
   */
  append(entry: AuditEntry): Promise<void>;
  /**
   * Commits a step's open transaction with its history row and `entry` as its audit row, chained
   * after the head: `Driver.commitStep`, one round trip where the engine allows. When another
   * session appended first, re-chains through `append`, then checks the lock and commits.
   */
  commitStep(row: HistoryRow, entry: AuditEntry): Promise<void>;
  /** The current head, to restore with `reset` if the transaction holding later appends rolls back. */
  mark(): string;
  reset(head: string): void;
}

// Each retry follows one row another session appended meanwhile: only lock-timeout rows race the
// lock holder, so a handful is plenty.
const APPEND_ATTEMPTS = 5;

function chainError(reason: string): MigratorError {
  return new MigratorError('E_AUDIT_TAMPERED', `cannot append to ${TABLES.audit}: ${reason}`, {
    hint: 'Run "migrate audit verify" to check the chain, and run the command again. See docs/audit.md.',
  });
}

export function createAuditChain(driver: Driver, head: string): AuditChain {
  let current = head;
  const append = async (entry: AuditEntry): Promise<void> => {
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      const hash = auditHash(current, entry);
      if (await driver.appendAudit({ ...entry, prevHash: current, hash })) {
        current = hash;
        return;
      }
      const seen = await driver.readAuditHead();
      // The row chained after ours is one this session's transaction cannot see (a snapshot
      // older than it): re-reading cannot help.
      if (seen === current) throw chainError(`a row chained after ${current.slice(0, 12) || 'the start'} exists that this transaction cannot see`);
      current = seen;
    }
    throw chainError(`other sessions appended ${APPEND_ATTEMPTS} times in a row before this one could`);
  };
  return {
    append,
    async commitStep(row, entry) {
      const hash = auditHash(current, entry);
      if (await driver.commitStep(row, { ...entry, prevHash: current, hash })) {
        current = hash;
        return;
      }
      await append(entry);
      await driver.assertLock();
      await driver.commit();
    },
    mark: () => current,
    reset(previous) {
      current = previous;
    },
  };
}
