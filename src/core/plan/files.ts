/**
 * Problems of the migration files alone, before any history is looked at: duplicate ids, missing
 * dependencies and dependency cycles.
 */
import type { Problem } from '../errors.js';
import type { Migration } from '../model.js';
import { orderMigrations } from './graph.js';

/** The files, deduplicated and ordered, and what is wrong with them. */
export interface FileCheck {
  /** The first file of each id, by id. */
  readonly byId: ReadonlyMap<string, Migration>;
  /** The same migrations in plan order (see `orderMigrations`). */
  readonly order: ReadonlyArray<Migration>;
  /** Duplicate, missing-dependency and cycle problems, in that order; empty when the files are sound. */
  readonly problems: ReadonlyArray<Problem>;
}

/**
 * Checks migration files as the loader returned them. When two files share an id the first one
 * is kept and the second is reported. Never throws.
 */
export function checkFiles(migrations: ReadonlyArray<Migration>): FileCheck {
  const byId = new Map<string, Migration>();
  const problems: Problem[] = [];
  for (const m of migrations) {
    const first = byId.get(m.id);
    if (first === undefined) byId.set(m.id, m);
    else problems.push(duplicate(first, m));
  }
  for (const m of byId.values()) {
    if (m.directives.depends.length === 0) continue;
    for (const dep of new Set(m.directives.depends)) {
      if (!byId.has(dep)) problems.push(missingDependency(m, dep));
    }
  }
  const { order, cycles } = orderMigrations([...byId.values()]);
  for (const cycle of cycles) problems.push(dependencyCycle(cycle, byId));
  return { byId, order, problems };
}

/** How messages name a migration id: `version 3`, or the repeatable's `R__name`. */
export function describeId(id: string): string {
  return id.startsWith('R__') ? id : `version ${id}`;
}

function duplicate(first: Migration, second: Migration): Problem {
  return {
    code: 'E_DUPLICATE_VERSION',
    message: `${describeId(first.id)} is defined twice: ${first.file} and ${second.file}`,
    hint:
      first.kind === 'repeatable'
        ? 'rename one of the two files: repeatable names must be unique'
        : `renumber one of the two files: versions compare numerically, so both are version ${first.id}`,
    at: { file: second.file },
    details: { version: first.id, files: [first.file, second.file] },
  };
}

function missingDependency(m: Migration, dep: string): Problem {
  return {
    code: 'E_MISSING_DEPENDENCY',
    message: `${m.file} depends on ${dep}, which no migration file defines`,
    hint: `add the migration ${dep}, or fix the \`-- migrate:depends\` line of ${m.file}`,
    at: { file: m.file },
    details: { version: m.id, missing: dep },
  };
}

function dependencyCycle(cycle: ReadonlyArray<string>, byId: ReadonlyMap<string, Migration>): Problem {
  const file = byId.get(cycle[0] ?? '')?.file ?? '';
  return {
    code: 'E_DEPENDENCY_CYCLE',
    message: `dependency cycle: ${cycle.join(' -> ')} (each depends on the next)`,
    hint: 'remove one of the `-- migrate:depends` entries on the cycle',
    at: { file },
    details: { cycle },
  };
}
