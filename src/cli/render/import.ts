/**
 * `migrate import` output: the mapping table (their entry -> our file, outcome, applied at, by)
 * for people, and the same facts as one JSON document for machines.
 */
import type { ImportMapping, MappedEntry } from '../../core/import/types.js';
import type { Output } from '../io.js';

const OUTCOME: Record<MappedEntry['outcome'], string> = { import: 'import', recorded: 'recorded', skipped: 'skipped', unmapped: 'UNMAPPED', conflict: 'CONFLICT', partial: 'PARTIAL' };

function target(e: MappedEntry): string {
  if (e.kind === 'baseline') return `baseline ${e.version ?? ''}`;
  if (e.migration) return `${e.migration.id}  ${e.migration.file}`;
  return e.version === undefined ? '-' : `(version ${e.version})`;
}

/** Prints one line per entry, then the notes (why, entries sharing a file, gaps). */
export function renderMapping(mapping: ImportMapping, output: Output): void {
  const rows = mapping.entries.map((e) => [e.ref, target(e), OUTCOME[e.outcome], e.appliedAt ?? '-', e.appliedBy ?? '-']);
  const header = ['their entry', 'migration', 'outcome', 'applied at', 'by'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  output.line(`  ${line(header)}`);
  for (const r of rows) output.line(`  ${line(r)}`);
  for (const e of mapping.entries) {
    if (e.outcome === 'skipped' || e.outcome === 'unmapped' || e.outcome === 'conflict' || e.outcome === 'partial') output.line(`  ${OUTCOME[e.outcome].toLowerCase()}: ${e.ref}: ${e.why ?? ''}`);
    else if (e.sameFileAs !== undefined) output.line(`  same file: ${e.ref}: ${e.migration?.file ?? ''} is ${e.outcome === 'import' ? 'recorded once' : 'already recorded'}, for ${e.sameFileAs}`);
  }
  if (mapping.gaps.length > 0) {
    output.line(`  note: ${mapping.gaps.join(', ')} ${mapping.gaps.length === 1 ? 'is' : 'are'} lower than the imported versions but not recorded by the other tool: ${mapping.gaps.length === 1 ? 'it stays' : 'they stay'} pending, and "migrate up" applies ${mapping.gaps.length === 1 ? 'it' : 'them'} only with order: allow-out-of-order.`);
  }
}

/** The JSON form of each entry. */
export function mappingJson(mapping: ImportMapping): Record<string, unknown> {
  const count = (outcome: MappedEntry['outcome']): number => mapping.entries.filter((e) => e.outcome === outcome).length;
  return {
    entries: mapping.entries.map((e) => ({
      ref: e.ref, outcome: e.outcome, version: e.version ?? null, kind: e.kind ?? null, file: e.migration?.file ?? null,
      appliedAt: e.appliedAt ?? null, appliedBy: e.appliedBy ?? null, why: e.why ?? null, sameFileAs: e.sameFileAs ?? null,
    })),
    counts: { import: count('import'), recorded: count('recorded'), skipped: count('skipped'), unmapped: count('unmapped'), conflict: count('conflict'), partial: count('partial') },
    gaps: mapping.gaps,
  };
}
