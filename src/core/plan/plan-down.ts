/**
 * `down` planning: which applied migrations to revert, latest first. Pure: files + history +
 * target in, a frozen {@link Plan} out.
 */
import { ErrorCodes, MigratorError, ProblemsError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { HistoryRow, Migration } from '../model.js';
import { canonicalRef, compareVersionIds } from '../version.js';
import { highestApplied, mergeByVersion } from './history.js';
import { analyse } from './inspect.js';
import type { Analysis } from './inspect.js';
import { freezePlan, makeStep } from './planner.js';
import { checksumMismatch, irreversible, missingFile } from './problems.js';
import type { DownTarget, Plan, StatusEntry } from './types.js';

/** An entry with an applied, non-baseline, non-repeatable history row: something `down` can revert. */
type Revertible = StatusEntry & { readonly history: HistoryRow };

/**
 * Plans `migrate down`. Reverting order: latest batch first, and within a batch the reverse of
 * plan (topological) order. `steps` takes the first `count`; `to` every applied version above it
 * (`'0'`: all); `batch` the whole latest batch; `version` exactly that one. Returns a plan with
 * zero steps when nothing is applied. `toVersion` is the highest version left applied.
 * @throws ProblemsError of the file problems, failed/in-progress rows and unknown applied versions
 *   (they block any `down`), or of every migration to revert that has no file, a changed checksum,
 *   or no way back (`E_IRREVERSIBLE`: marked irreversible or without a down script).
 * @throws MigratorError `E_USAGE` for a count below 1; `E_UNKNOWN_TARGET` for a version no
 *   migration defines (or, for `version`, one not applied); `E_DEPENDENT_APPLIED` when a migration left
 *   applied depends on one to revert.
 */
export function planDown(
  migrations: ReadonlyArray<Migration>,
  history: ReadonlyArray<HistoryRow>,
  target: DownTarget,
): Plan {
  // Out-of-order pending migrations do not matter to `down`: the policy only governs `up`.
  const analysis = analyse(migrations, history, { outOfOrder: true });
  const blocking = analysis.inspection.problems.filter(blocksDown);
  if (blocking.length > 0) throw new ProblemsError(blocking);
  const chosen = select(revertOrder(analysis), target, analysis);
  checkDependents(chosen, analysis);
  const problems = chosen.flatMap(revertProblems);
  if (problems.length > 0) throw new ProblemsError(problems);
  const steps = chosen.flatMap(({ migration: m }) => (m?.down === undefined ? [] : [makeStep(m, 'revert', m.down)]));
  const toVersion = highestApplied(analysis.rows.values(), new Set(chosen.map((e) => e.id)));
  return freezePlan('down', steps, analysis.inspection.current, toVersion);
}

function blocksDown(problem: Problem): boolean {
  const code = problem.code;
  return ErrorCodes[code] === 'invalidFiles' || code === 'E_FAILED_MIGRATION' || code === 'E_UNKNOWN_APPLIED';
}

function isRevertible(entry: StatusEntry): entry is Revertible {
  const row = entry.history;
  return row !== undefined && row.state === 'applied' && row.kind !== 'baseline' && row.kind !== 'repeatable' && entry.migration?.kind !== 'repeatable';
}

/** Applied migrations, latest batch first, reverse plan order within a batch. */
function revertOrder(analysis: Analysis): Revertible[] {
  const applied = analysis.inspection.entries.filter(isRevertible);
  const withFile = new Map(applied.filter((e) => e.migration !== undefined).map((e) => [e.id, e]));
  const planOrder = analysis.files.order.flatMap((m) => withFile.get(m.id) ?? []);
  const loose = applied.filter((e) => e.migration === undefined).sort((a, b) => compareVersionIds(a.id, b.id));
  const rank = new Map(mergeByVersion(planOrder, loose, (e) => e.id).map((e, i) => [e.id, i]));
  return applied.sort((a, b) => b.history.batch - a.history.batch || (rank.get(b.id) ?? 0) - (rank.get(a.id) ?? 0));
}

function select(order: ReadonlyArray<Revertible>, target: DownTarget, analysis: Analysis): Revertible[] {
  switch (target.kind) {
    case 'steps':
      if (!Number.isInteger(target.count) || target.count < 1) {
        throw new MigratorError('E_USAGE', `the number of steps to revert must be a whole number of at least 1, got ${target.count}`);
      }
      return order.slice(0, target.count);
    case 'batch': {
      const last = order[0]?.history.batch;
      return order.filter((e) => e.history.batch === last);
    }
    case 'to': {
      const id = knownVersion(target.version, analysis, true);
      return id === '0' ? [...order] : order.filter((e) => compareVersionIds(e.id, id) > 0);
    }
    case 'version': {
      const id = knownVersion(target.version, analysis, false);
      const entry = order.find((e) => e.id === id);
      if (entry !== undefined) return [entry];
      const state = analysis.entryById.get(id);
      const what = state?.kind === 'baseline' ? 'the baseline' : (state?.state ?? 'unknown');
      throw new MigratorError('E_UNKNOWN_TARGET', `cannot revert version ${id}: it is not an applied migration (it is ${what})`, {
        hint: 'run `migrate status` to list the applied versions',
        details: { target: target.version },
      });
    }
  }
}

/** The canonical id of a version a file or history row knows (or `'0'` when allowed); else throws. */
function knownVersion(raw: string, analysis: Analysis, allowZero: boolean): string {
  const id = canonicalRef(raw);
  if (id !== undefined && !id.startsWith('R__')) {
    if ((allowZero && id === '0') || analysis.files.byId.has(id) || analysis.rows.has(id)) return id;
  }
  throw new MigratorError('E_UNKNOWN_TARGET', `unknown target ${raw}: no migration defines that version`, {
    hint: `run \`migrate status\` to list the known versions${allowZero ? '; use 0 to revert everything' : ''}`,
    details: { target: raw },
  });
}

/** Refuses to revert a migration that one left applied depends on. */
function checkDependents(chosen: ReadonlyArray<Revertible>, analysis: Analysis): void {
  const reverting = new Set(chosen.map((e) => e.id));
  for (const entry of analysis.inspection.entries) {
    const m = entry.migration;
    if (m === undefined || entry.history?.state !== 'applied' || reverting.has(entry.id)) continue;
    const dep = m.directives.depends.find((id) => reverting.has(id));
    if (dep === undefined) continue;
    const first = m.kind === 'repeatable' ? `remove its \`-- migrate:depends ${dep}\` first` : `revert ${m.id} first`;
    throw new MigratorError('E_DEPENDENT_APPLIED', `cannot revert ${dep}: ${m.id} depends on it and is still applied; ${first}`, {
      hint: m.kind === 'repeatable' ? `repeatables are never reverted: edit ${m.file}` : `run \`migrate down --version ${m.id}\` first`,
      at: { file: m.file },
      details: { version: dep, dependent: m.id },
    });
  }
}

function revertProblems(entry: Revertible): Problem[] {
  const m = entry.migration;
  if (m === undefined) return [missingFile(entry.history)];
  const problems: Problem[] = [];
  if (entry.history.checksum !== m.checksum) problems.push(checksumMismatch(m, entry.history));
  const cannot = irreversible(m);
  if (cannot !== undefined) problems.push(cannot);
  return problems;
}
