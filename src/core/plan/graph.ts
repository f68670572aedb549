/**
 * Plan order: a topological sort over `-- migrate:depends` (Kahn's algorithm with a sorted list and
 * a heap as the ready list, O((n + e) log n)), ties broken by {@link compareMigrations}, and cycle
 * detection.
 */
import type { Migration } from '../model.js';
import { compareVersions } from '../version.js';
import { MinHeap } from './heap.js';

/**
 * The tie-break order when dependencies allow several migrations: versioned and script kinds
 * before repeatables, versions numerically (`1.9` < `1.10` < `2`), repeatables by description.
 */
export function compareMigrations(a: Migration, b: Migration): number {
  const kind = Number(a.kind === 'repeatable') - Number(b.kind === 'repeatable');
  if (kind !== 0) return kind;
  if (a.version !== undefined && b.version !== undefined) {
    const order = compareVersions(a.version, b.version);
    if (order !== 0) return order;
  }
  return compareText(a.description, b.description) || compareText(a.id, b.id) || compareText(a.file, b.file);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The result of {@link orderMigrations}. */
export interface Ordering {
  /**
   * Every migration given, each once: the sortable ones in topological order, then those blocked
   * by a cycle (members and migrations depending on one) in tie-break order.
   */
  readonly order: ReadonlyArray<Migration>;
  /** Each cycle found as ids in `depends` direction, closed (`['1', '3', '5', '1']`); empty when none. */
  readonly cycles: ReadonlyArray<ReadonlyArray<string>>;
}

/**
 * Orders migrations with unique ids so each comes after everything it depends on. Dependencies
 * on ids not in `migrations` are ignored here (the caller reports them). Never throws.
 */
export function orderMigrations(migrations: ReadonlyArray<Migration>): Ordering {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const dependents = new Map<string, Migration[]>();
  const waiting = new Map<string, number>();
  for (const m of migrations) {
    const deps = knownDeps(m, byId);
    waiting.set(m.id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, [m]);
      else list.push(m);
    }
  }
  // Most migrations wait on nothing: those are sorted once, and only the ones a dependency releases
  // go through the heap. Taking the smaller of the two heads gives the order one heap of all would.
  const initial = migrations.filter((m) => waiting.get(m.id) === 0).sort(compareMigrations);
  const released = new MinHeap<Migration>(compareMigrations);
  let next = 0;
  const take = (): Migration | undefined => {
    const head = initial[next];
    const top = released.peek();
    if (head === undefined || (top !== undefined && compareMigrations(top, head) < 0)) return released.pop();
    next += 1;
    return head;
  };
  const order: Migration[] = [];
  for (let m = take(); m !== undefined; m = take()) {
    order.push(m);
    for (const dependent of dependents.get(m.id) ?? []) {
      const left = (waiting.get(dependent.id) ?? 0) - 1;
      waiting.set(dependent.id, left);
      if (left === 0) released.push(dependent);
    }
  }
  if (order.length === migrations.length) return { order, cycles: [] };
  const blocked = migrations.filter((m) => (waiting.get(m.id) ?? 0) > 0).sort(compareMigrations);
  return { order: [...order, ...blocked], cycles: findCycles(blocked, byId, waiting) };
}

/** Distinct dependencies of `m` that exist among the migrations. */
function knownDeps(m: Migration, byId: ReadonlyMap<string, Migration>): string[] {
  if (m.directives.depends.length === 0) return [];
  return [...new Set(m.directives.depends)].filter((dep) => byId.has(dep));
}

/**
 * Every blocked migration still waits on a blocked dependency, so following one such dependency
 * from any blocked node must eventually revisit a node: each walk ends in a new cycle or in a
 * node an earlier walk already explored. Linear in the blocked subgraph.
 */
function findCycles(
  blocked: ReadonlyArray<Migration>,
  byId: ReadonlyMap<string, Migration>,
  waiting: ReadonlyMap<string, number>,
): string[][] {
  const isBlocked = (id: string): boolean => (waiting.get(id) ?? 0) > 0;
  const rank = new Map(blocked.map((m, i) => [m.id, i]));
  const explored = new Set<string>();
  const cycles: string[][] = [];
  for (const start of blocked) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let id: string | undefined = start.id;
    while (id !== undefined && !explored.has(id)) {
      explored.add(id);
      onPath.set(id, path.length);
      path.push(id);
      const node: Migration | undefined = byId.get(id);
      id = node?.directives.depends.find(isBlocked);
    }
    const at = id === undefined ? undefined : onPath.get(id);
    if (at !== undefined) cycles.push(closeCycle(path.slice(at), rank));
  }
  return cycles;
}

/** Rotates a cycle to start at its first member in tie-break order, then repeats that member. */
function closeCycle(members: ReadonlyArray<string>, rank: ReadonlyMap<string, number>): string[] {
  let first = 0;
  members.forEach((id, i) => {
    if ((rank.get(id) ?? 0) < (rank.get(members[first] ?? '') ?? 0)) first = i;
  });
  const rotated = [...members.slice(first), ...members.slice(0, first)];
  return [...rotated, rotated[0] ?? ''];
}
