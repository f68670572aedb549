import { describe, expect, it } from 'vitest';
import { CHAIN_START, checkAuditRow, describeBreak, walkChain } from '../../src/core/audit-verify.js';
import type { AuditEntry } from '../../src/core/model.js';
import type { StoredAuditEntry } from '../../src/core/ports.js';
import { auditHash } from '../../src/core/run/audit.js';
import { tamperError } from '../../src/core/run/verify-audit.js';

function entry(n: number): AuditEntry {
  return {
    runId: `run-${n}`, at: `2026-01-0${n}T00:00:00.000Z`, actor: 'alice', host: 'ci', environment: 'prod', command: 'migrate up',
    event: 'migration.applied', version: String(n), fromVersion: null, toVersion: null, checksum: `sha256v1:${n}`, outcome: 'success',
    durationMs: n * 10, detail: JSON.stringify({ statements: n }),
  };
}

/** A well-formed chain of `count` rows with ids 1..count. */
function chain(count: number): StoredAuditEntry[] {
  const rows: StoredAuditEntry[] = [];
  let prev = '';
  for (let n = 1; n <= count; n++) {
    const hash = auditHash(prev, entry(n));
    rows.push({ ...entry(n), id: n, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

const at = (rows: StoredAuditEntry[], id: number): StoredAuditEntry => {
  const row = rows.find((r) => r.id === id);
  if (!row) throw new Error(`no row ${id}`);
  return row;
};

/** Rewrites row `id` with `change`, keeping (or, with `rehash`, recomputing) its hash. */
function edit(rows: StoredAuditEntry[], id: number, change: Partial<StoredAuditEntry>, rehash = false): StoredAuditEntry[] {
  return rows.map((row) => {
    if (row.id !== id) return row;
    const edited = { ...row, ...change };
    return rehash ? { ...edited, hash: auditHash(edited.prevHash, edited) } : edited;
  });
}

describe('walkChain', () => {
  const cases: ReadonlyArray<{ name: string; rows: () => StoredAuditEntry[]; broken: { id: number; kind: string; previousId: number | null } | undefined; checked: number }> = [
    { name: 'an empty table is intact', rows: () => [], broken: undefined, checked: 0 },
    { name: 'an intact chain', rows: () => chain(5), broken: undefined, checked: 5 },
    { name: 'ids with gaps (a rolled-back sequence value) are fine', rows: () => chain(3).map((row) => ({ ...row, id: row.id * 10 })), broken: undefined, checked: 3 },
    { name: 'an edited detail', rows: () => edit(chain(5), 3, { detail: '{"statements":99}' }), broken: { id: 3, kind: 'edited', previousId: 2 }, checked: 2 },
    { name: 'an edited actor of the first row', rows: () => edit(chain(3), 1, { actor: 'mallory' }), broken: { id: 1, kind: 'edited', previousId: null }, checked: 0 },
    { name: 'an edited duration (a number)', rows: () => edit(chain(3), 2, { durationMs: 1 }), broken: { id: 2, kind: 'edited', previousId: 1 }, checked: 1 },
    { name: 'an edited hash', rows: () => edit(chain(3), 2, { hash: 'f'.repeat(64) }), broken: { id: 2, kind: 'edited', previousId: 1 }, checked: 1 },
    { name: 'an edited prev_hash', rows: () => edit(chain(3), 2, { prevHash: 'f'.repeat(64) }), broken: { id: 2, kind: 'edited', previousId: 1 }, checked: 1 },
    { name: 'a deleted middle row: the row after the gap', rows: () => chain(5).filter((row) => row.id !== 3), broken: { id: 4, kind: 'unlinked', previousId: 2 }, checked: 2 },
    { name: 'a deleted first row', rows: () => chain(3).filter((row) => row.id !== 1), broken: { id: 2, kind: 'unlinked', previousId: null }, checked: 0 },
    { name: 'a deleted last row goes unseen (anchors catch it)', rows: () => chain(3).filter((row) => row.id !== 3), broken: undefined, checked: 2 },
    { name: 'a row edited and re-hashed: the next row is unlinked', rows: () => edit(chain(4), 2, { actor: 'mallory' }, true), broken: { id: 3, kind: 'unlinked', previousId: 2 }, checked: 2 },
    {
      name: 'a forged row inserted in the middle',
      rows: () => {
        const rows = chain(3);
        const forged = { ...entry(9), id: 25, prevHash: at(rows, 2).hash, hash: auditHash(at(rows, 2).hash, entry(9)) };
        return [at(rows, 1), at(rows, 2), forged, { ...at(rows, 3), id: 30 }];
      },
      broken: { id: 30, kind: 'unlinked', previousId: 25 },
      checked: 3,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const walk = walkChain(CHAIN_START, c.rows());
      expect(walk.checked).toBe(c.checked);
      expect(walk.broken === undefined ? undefined : { id: walk.broken.id, kind: walk.broken.kind, previousId: walk.broken.previousId }).toEqual(c.broken);
    });
  }

  it('gives the same verdict whatever the page size', () => {
    const rows = edit(chain(10), 7, { detail: '{}' });
    for (const size of [1, 2, 3, 10, 11]) {
      let walk = CHAIN_START;
      for (let i = 0; i < rows.length; i += size) walk = walkChain(walk, rows.slice(i, i + size));
      expect({ size, id: walk.broken?.id, checked: walk.checked }).toEqual({ size, id: 7, checked: 6 });
    }
  });

  it('stops at the first bad row and ignores later pages', () => {
    const broken = walkChain(CHAIN_START, edit(chain(3), 2, { detail: '{}' }));
    expect(walkChain(broken, chain(5).slice(3))).toBe(broken);
  });

  it('reports the head of an intact chain and the anchors met on the way', () => {
    const rows = chain(4);
    const walk = walkChain(CHAIN_START, rows, [at(rows, 2).hash, 'not-there']);
    expect(walk).toMatchObject({ checked: 4, head: at(rows, 4).hash, lastId: 4, anchorsFound: [at(rows, 2).hash] });
  });
});

describe('checkAuditRow', () => {
  it('says what the row should hold', () => {
    const rows = chain(2);
    const bad = checkAuditRow({ ...at(rows, 2), detail: 'x' }, { id: 1, hash: at(rows, 1).hash });
    expect(bad).toMatchObject({ id: 2, kind: 'edited', expectedPrevHash: at(rows, 1).hash, prevHash: at(rows, 1).hash, hash: at(rows, 2).hash });
    expect(bad?.expectedHash).not.toBe(at(rows, 2).hash);
  });
});

describe('describeBreak and tamperError', () => {
  it('names the row and what is wrong with it', () => {
    const edited = walkChain(CHAIN_START, edit(chain(3), 2, { detail: '{}' }));
    expect(describeBreak(edited.broken!)).toBe('audit row 2 was edited: its hash does not match its content');
    const gap = walkChain(CHAIN_START, chain(4).filter((row) => row.id !== 2));
    expect(describeBreak(gap.broken!)).toMatch(/^audit row 3 does not follow row 1: a row between them was deleted/);
    const error = tamperError(gap);
    expect(error).toMatchObject({ code: 'E_AUDIT_TAMPERED', category: 'stateMismatch', details: { id: 3, kind: 'unlinked', checked: 1 } });
    expect(error?.message).toContain('(the 1 row before it is intact)');
    expect(error?.hint).toMatch(/backup.*superuser.*cannot repair/s);
  });

  it('passes an intact chain holding every anchor, and fails one that lost an anchor', () => {
    const rows = chain(3);
    expect(tamperError(walkChain(CHAIN_START, rows, [at(rows, 3).hash]), [at(rows, 3).hash])).toBeUndefined();
    const rewritten = walkChain(CHAIN_START, rows.slice(0, 2), [at(rows, 3).hash]);
    expect(tamperError(rewritten, [at(rows, 3).hash])).toMatchObject({ code: 'E_AUDIT_TAMPERED', details: { missingAnchors: [at(rows, 3).hash], checked: 2 } });
  });
});
