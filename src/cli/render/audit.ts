/** Renders audit rows (`migrate audit`) and the verdict of `migrate audit verify`. */
import type { ChainWalk } from '../../core/audit-verify.js';
import { describeBreak } from '../../core/audit-verify.js';
import type { StoredAuditEntry } from '../../core/ports.js';
import type { Output } from '../io.js';
import { formatMs } from './run.js';

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Reads `--since`: a duration back from `now` (`90s`, `30m`, `12h`, `7d`, `2w`) or a date or time
 * (`2026-01-31`, `2026-01-31T14:00:00Z`; without a zone, local time). Returns ISO-8601 UTC,
 * `undefined` when the text is neither.
 */
export function parseSince(text: string, now: Date): string | undefined {
  const duration = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNITS[duration[2] ?? 's'] ?? 1_000)).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const time = new Date(text.trim());
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** The `reason` a row's detail records (`--reason`), when there is one. */
function reasonOf(row: StoredAuditEntry): string {
  const detail = parseDetail(row.detail);
  return typeof detail === 'object' && detail !== null && typeof (detail as { reason?: unknown }).reason === 'string' ? (detail as { reason: string }).reason : '';
}

/** The detail as the JSON it was written as; the text itself when it is not JSON (edited by hand). */
function parseDetail(detail: string): unknown {
  try {
    return JSON.parse(detail);
  } catch {
    return detail;
  }
}

/** One audit row for `--json`: the stored fields, with the detail parsed. */
export function auditRowJson(row: StoredAuditEntry): unknown {
  return { ...row, detail: parseDetail(row.detail) };
}

function table(rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

const change = (row: StoredAuditEntry): string =>
  row.fromVersion === null && row.toVersion === null ? '' : `${row.fromVersion ?? '(none)'} -> ${row.toVersion ?? '(none)'}`;

/** The rows as a table for people, oldest first. */
export function renderAudit(rows: ReadonlyArray<StoredAuditEntry>, target: string, output: Output): void {
  output.line(`Audit log of ${target}`);
  output.line();
  const header = ['ID', 'AT', 'ACTOR', 'EVENT', 'VERSION', 'FROM -> TO', 'OUTCOME', 'DURATION', 'REASON'];
  const lines = rows.map((row) => [
    String(row.id), row.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), row.actor, row.event, row.version ?? '', change(row),
    row.outcome, row.durationMs === null ? '' : formatMs(row.durationMs), reasonOf(row),
  ]);
  for (const line of table([header, ...lines])) output.line(line);
  const points = rows.flatMap((row) => {
    const point = recoveryPointOf(row);
    return point === undefined ? [] : [[String(row.id), row.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), change(row), point.kind, point.value]];
  });
  if (points.length === 0) return;
  // What an operator restoring "to just before that run" needs, without digging in the detail JSON.
  output.line();
  output.line('Recovery points (the database just before each run; docs/backup.md):');
  for (const line of table([['ID', 'AT', 'FROM -> TO', 'KIND', 'VALUE'], ...points])) output.line(`  ${line}`);
}

/** The recovery point a `run.started` row's detail records, when it names one. */
function recoveryPointOf(row: StoredAuditEntry): { kind: string; value: string } | undefined {
  if (row.event !== 'run.started') return undefined;
  const point = (parseDetail(row.detail) as { recoveryPoint?: { kind?: unknown; value?: unknown } } | null)?.recoveryPoint;
  if (typeof point?.kind !== 'string' || point.kind === 'none' || typeof point.value !== 'string') return undefined;
  return { kind: point.kind, value: point.value };
}

/** The verdict of `audit verify` for people. */
export function renderVerdict(walk: ChainWalk, target: string, anchors: ReadonlyArray<string>, output: Output): void {
  if (walk.broken) {
    output.line(`TAMPERED: ${describeBreak(walk.broken)}.`);
    output.line(`  ${walk.checked} row${walk.checked === 1 ? ' before it chains' : 's before it chain'} correctly${walk.broken.previousId === null ? '' : ` (through row ${walk.broken.previousId})`}.`);
    const label = `row ${walk.broken.id}:`;
    const width = Math.max(label.length, 'expected:'.length) + 1;
    output.line(`  ${label.padEnd(width)}prev_hash ${walk.broken.prevHash || "''"}, hash ${walk.broken.hash}`);
    output.line(`  ${'expected:'.padEnd(width)}prev_hash ${walk.broken.expectedPrevHash || "''"}, hash ${walk.broken.expectedHash}`);
    return;
  }
  const missing = anchors.filter((anchor) => !walk.anchorsFound.includes(anchor));
  if (missing.length > 0) {
    output.line(`TAMPERED: the chain of ${walk.checked} row${walk.checked === 1 ? '' : 's'} is intact, but does not contain ${missing.join(', ')}.`);
    return;
  }
  if (walk.checked === 0) {
    output.line(`The audit log of ${target} is empty: nothing to verify.`);
    return;
  }
  output.line(`The audit log of ${target} is intact: ${walk.checked} row${walk.checked === 1 ? '' : 's'} chain correctly${anchors.length > 0 ? `, including ${anchors.length === 1 ? 'the anchor' : `all ${anchors.length} anchors`}` : ''}.`);
  output.line(`Head (row ${walk.lastId ?? ''}): ${walk.head}`);
}
