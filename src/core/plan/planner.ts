/**
 * `up` planning: which pending migrations to apply, in which order. Pure: files + history +
 * options in, a frozen {@link Plan} out.
 */
import { MigratorError, ProblemsError } from '../errors.js';
import type { Direction } from '../events.js';
import type { HistoryRow, Migration, Script } from '../model.js';
import { canonicalRef, compareVersions } from '../version.js';
import { describeId } from './files.js';
import { highestVersion, maxVersionId } from './history.js';
import { prefixHash } from '../journal-hash.js';
import { analyse } from './inspect.js';
import { failedDirection, journalDetail } from './problems.js';
import type { Plan, PlanStep, StatusEntry, UpOptions } from './types.js';

/**
 * Plans `migrate up`: every pending migration (never applied, or rolled back) and every outdated
 * repeatable, in plan order (topological over `depends`, versions before repeatables). With
 * `target`, only pending versioned migrations up to and including it (no repeatables).
 * Returns a plan with zero steps when nothing is pending: that is success, not an error.
 * @throws ProblemsError listing every problem `inspect` finds (all of them block `up`).
 * @throws MigratorError `E_UNKNOWN_TARGET` when no versioned file defines `target`;
 *   `E_MISSING_DEPENDENCY` when a planned migration depends on a pending one beyond `target`.
 */
export function planUp(
  migrations: ReadonlyArray<Migration>,
  history: ReadonlyArray<HistoryRow>,
  options: UpOptions,
): Plan {
  const { inspection, files, entryById } = analyse(migrations, history, options.policy);
  const resumable = options.resume ? resumableEntries(inspection.entries) : [];
  const resumableIds = new Set(resumable.map((e) => e.id));
  const blocking = inspection.problems.filter((p) => !(p.code === 'E_FAILED_MIGRATION' && resumableIds.has(p.details?.['version'] as string)));
  if (blocking.length > 0) throw new ProblemsError(blocking);
  const target = options.target === undefined ? undefined : resolveTarget(options.target, files.byId);
  const chosen = files.order.filter((m) => {
    const state = entryById.get(m.id)?.state;
    if (state !== 'pending' && state !== 'outdated') return false;
    if (target?.version === undefined) return true;
    return m.version !== undefined && compareVersions(m.version, target.version) <= 0;
  });
  if (target !== undefined) checkDependencies(chosen, entryById, target);
  const resumed = resumable.map((e) => {
    const row = e.history as HistoryRow;
    const m = e.migration as Migration;
    checkResumablePrefix(m, row);
    const { inFlight } = journalDetail(row);
    return Object.freeze({ migration: m, action: 'resume' as const, script: m.up, resume: { from: row.statementsApplied, appliedHash: row.appliedHash, inFlight } });
  });
  const steps = [...resumed, ...chosen.map((m) => makeStep(m, entryById.get(m.id)?.state === 'outdated' ? 'reapply' : 'apply', m.up))];
  const toVersion = maxVersionId(inspection.current, highestVersion([...resumable.map((e) => e.migration as Migration), ...chosen]));
  return freezePlan('up', steps, inspection.current, toVersion);
}

/** A resume continues only if the statements applied before are the ones in the file now. */
function checkResumablePrefix(m: Migration, row: HistoryRow): void {
  // A script's statements are the ctx calls it made: it resumes from its ctx.batch checkpoints (step.ts).
  if (m.up.program) return;
  const from = row.statementsApplied;
  // A streamed file's statements are not held: the executor checks them as it reads the file again.
  if (from === 0 || m.up.stream !== undefined || (from <= m.up.statements.length && prefixHash(m.up.statements.slice(0, from)) === row.appliedHash)) return;
  throw new MigratorError('E_FAILED_MIGRATION', `cannot resume ${describeId(m.id)}: the first ${from} statements of ${m.file} are not the ones that were applied`, {
    at: { file: m.file },
    hint: 'Only statements after the failed one may change before a resume. Restore the applied statements as they were, or fix the database by hand and run "migrate repair".',
    details: { version: m.id, statementsApplied: from },
  });
}

/** Failed or in-progress `up` rows whose file is here: what `--resume` continues. */
function resumableEntries(entries: ReadonlyArray<StatusEntry>): StatusEntry[] {
  return entries.filter((e) => (e.state === 'failed' || e.state === 'in_progress') && e.migration !== undefined && e.history !== undefined && failedDirection(e.history) === 'up');
}

/** A frozen step. Internal to plan/. */
export function makeStep(migration: Migration, action: PlanStep['action'], script: Script): PlanStep {
  return Object.freeze({ migration, action, script });
}

/** A frozen plan. Internal to plan/. */
export function freezePlan(
  direction: Direction,
  steps: ReadonlyArray<PlanStep>,
  fromVersion: string | null,
  toVersion: string | null,
): Plan {
  return Object.freeze({ direction, steps: Object.freeze([...steps]), fromVersion, toVersion });
}

function resolveTarget(raw: string, byId: ReadonlyMap<string, Migration>): Migration {
  const id = canonicalRef(raw);
  const m = id === undefined ? undefined : byId.get(id);
  if (m === undefined || m.version === undefined) {
    const what = id === undefined ? 'it is not a version' : m === undefined ? `no migration file defines ${describeId(id)}` : `${id} is a repeatable, not a version`;
    throw new MigratorError('E_UNKNOWN_TARGET', `unknown target ${raw}: ${what}`, {
      hint: 'run `migrate status` to list the known versions',
      details: { target: raw },
    });
  }
  return m;
}

/** A planned migration must not need a pending one the target leaves out. */
function checkDependencies(
  chosen: ReadonlyArray<Migration>,
  entryById: ReadonlyMap<string, StatusEntry>,
  target: Migration,
): void {
  const planned = new Set(chosen.map((m) => m.id));
  for (const m of chosen) {
    const dep = m.directives.depends.find((id) => entryById.get(id)?.state === 'pending' && !planned.has(id));
    if (dep === undefined) continue;
    const why = dep.startsWith('R__') ? 'repeatables are applied only by `migrate up` without a target' : `it is beyond the target ${target.id}`;
    throw new MigratorError(
      'E_MISSING_DEPENDENCY',
      `cannot migrate to ${target.id}: ${describeId(m.id)} (${m.file}) depends on ${dep}, which is pending and not in this plan: ${why}`,
      {
        hint: dep.startsWith('R__') ? 'run `migrate up` without a target' : `migrate to ${dep} or later, or remove the dependency`,
        at: { file: m.file },
        details: { version: m.id, missing: dep, target: target.id },
      },
    );
  }
}
