/**
 * `migrate audit verify`: pages through every audit row in id order (memory bounded by one page)
 * and walks the hash chain. Read-only: works on a read-only session, takes no lock.
 */
import { describeBreak, walkChain, CHAIN_START, type ChainWalk } from '../audit-verify.js';
import { MigratorError } from '../errors.js';
import { TABLES } from '../metadata.js';
import type { Driver } from '../ports.js';

export interface VerifyAuditOptions {
  /** Rows read per query (default 1000). */
  readonly pageSize?: number | undefined;
  /** Heads recorded elsewhere (`auditHead` of a run's --json): each must be the hash of a row. */
  readonly anchors?: ReadonlyArray<string> | undefined;
}

/** Walks the whole chain; stops reading at the first bad row. */
export async function verifyAudit(driver: Driver, options: VerifyAuditOptions = {}): Promise<ChainWalk> {
  const limit = options.pageSize ?? 1000;
  const anchors = options.anchors ?? [];
  let walk = CHAIN_START;
  for (;;) {
    const page = await driver.readAudit({ afterId: walk.lastId ?? undefined, limit });
    walk = walkChain(walk, page, anchors);
    if (walk.broken || page.length < limit) return walk;
  }
}

/**
 * The error for a broken walk, or for anchors the intact chain does not hold; `undefined` when the
 * chain is intact and holds every anchor.
 */
export function tamperError(walk: ChainWalk, anchors: ReadonlyArray<string> = []): MigratorError | undefined {
  const hint = 'Restore migrator_audit from a backup taken before that row, and find out who had the privileges to change it (a superuser, or the owner of the table, can disable its triggers). migrator cannot repair the chain, by design: see docs/audit.md.';
  if (walk.broken) {
    return new MigratorError('E_AUDIT_TAMPERED', `${TABLES.audit} was tampered with: ${describeBreak(walk.broken)} (${walk.checked === 1 ? 'the 1 row before it is' : `the ${walk.checked} rows before it are`} intact)`, {
      hint,
      details: { ...walk.broken, checked: walk.checked },
    });
  }
  const missing = anchors.filter((anchor) => !walk.anchorsFound.includes(anchor));
  if (missing.length === 0) return undefined;
  return new MigratorError('E_AUDIT_TAMPERED', `${TABLES.audit} does not contain the recorded head${missing.length === 1 ? '' : 's'} ${missing.join(', ')}: its ${walk.checked} rows chain correctly, but the chain was rewritten (or belongs to another database)`, {
    hint,
    details: { missingAnchors: missing, checked: walk.checked, head: walk.head },
  });
}
