/**
 * Mapping another tool's history onto migrator's files: pure, so every rule is unit-tested
 * (test/unit/import-map.test.ts). The result says, for each entry, whether it will be imported,
 * is already recorded, is skipped, matches no file, or conflicts with migrator's own history.
 */
import type { HistoryRow, Migration } from '../model.js';
import { inspect } from '../plan/index.js';
import type { EntryState } from '../plan/index.js';
import { compareVersionIds, parseVersion } from '../version.js';
import type { ForeignEntry, ForeignKey, ImportMapping, MappedEntry } from './types.js';
import { leadingVersion } from './values.js';

/** What {@link mapImport} compares. */
export interface MapInput {
  /** The other tool's entries, oldest first (a reader's `parse`). */
  readonly entries: ReadonlyArray<ForeignEntry>;
  /** Every migration loaded from the configured directories, whatever their layout. */
  readonly migrations: ReadonlyArray<Migration>;
  /** migrator_history as it is (oldest first); [] for a database migrator never touched. */
  readonly history: ReadonlyArray<HistoryRow>;
  /**
   * Flyway's checksum of each repeatable file as it is now, by migration id (run.ts computes them
   * from the files). A Flyway repeatable is imported only when this equals the checksum Flyway
   * recorded; absent here, it is left pending.
   */
  readonly flywayChecksums?: ReadonlyMap<string, number> | undefined;
}

interface Files {
  readonly byVersion: ReadonlyMap<string, Migration>;
  readonly all: ReadonlyArray<Migration>;
}

type Resolved = { readonly migration: Migration; readonly version: string | undefined } | { readonly migration: undefined; readonly version: string | undefined; readonly why: string };

const base = (file: string): string => file.replace(/^.*[/\\]/, '');

function canonical(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : parseVersion(raw.replace(/^[Vv]/, ''))?.canonical;
}

/** Finds the file an entry names; `why` says how it was looked for when none matches. */
export function resolveKey(key: ForeignKey, files: Files): Resolved {
  if (key.kind === 'version') {
    const version = canonical(key.raw);
    if (version === undefined) return { migration: undefined, version, why: `"${key.raw}" is not a version` };
    const migration = files.byVersion.get(version);
    return migration ? { migration, version } : { migration: undefined, version, why: `no migration file has version ${version}` };
  }
  if (key.kind === 'name') {
    const version = canonical(leadingVersion(key.name, key.dotted === true));
    if (version === undefined) return { migration: undefined, version, why: `the name "${key.name}" does not start with a version` };
    const migration = files.byVersion.get(version);
    return migration ? { migration, version } : { migration: undefined, version, why: `no migration file has version ${version} (from the name "${key.name}")` };
  }
  if (key.kind === 'script') {
    const script = base(key.script);
    const id = script.replace(/\.[^.]*$/, '');
    const migration = files.all.find((m) => m.kind === 'repeatable' && (base(m.file) === script || m.id === id));
    return migration ? { migration, version: undefined } : { migration: undefined, version: undefined, why: `no repeatable migration file is named ${script}` };
  }
  const named = files.all.filter((m) => m.version !== undefined && base(m.file).includes(key.revision));
  const [only] = named;
  if (named.length === 1 && only) return { migration: only, version: only.version?.canonical };
  return {
    migration: undefined,
    version: undefined,
    why: named.length === 0
      ? `Alembic records only its head revision, and no migration file name contains "${key.revision}"`
      : `${named.length} migration file names contain "${key.revision}" (${named.map((m) => base(m.file)).join(', ')})`,
  };
}

function entry(ref: string, outcome: MappedEntry['outcome'], facts: Partial<Omit<MappedEntry, 'ref' | 'outcome'>>): MappedEntry {
  return {
    ref, outcome, version: facts.version, migration: facts.migration, kind: facts.kind ?? facts.migration?.kind,
    appliedAt: facts.appliedAt, appliedBy: facts.appliedBy, why: facts.why, sameFileAs: facts.sameFileAs,
  };
}

/** An entry that names a file: decided per file, once every entry naming that file is known. */
interface Placement {
  readonly ref: string;
  readonly migration: Migration;
  readonly applied: boolean;
  readonly facts: Partial<MappedEntry>;
}

const refs = (list: ReadonlyArray<Placement>): string => list.map((p) => p.ref).join(', ');

/**
 * The entries of one file, in their order: all applied, the file is imported (or recorded) once,
 * for the first, and the others say they share it; none applied, each is skipped; some applied
 * and some not, every one is `partial` and the import is refused (see `refusal`).
 */
function decideFile(group: ReadonlyArray<Placement>, state: EntryState | undefined): MappedEntry[] {
  const [first] = group;
  if (first === undefined) return [];
  const version = first.migration.version?.canonical;
  const applied = group.filter((p) => p.applied);
  const notApplied = group.filter((p) => !p.applied);
  const at = (p: Placement, outcome: MappedEntry['outcome'], why: string | undefined, sameFileAs?: string): MappedEntry =>
    entry(p.ref, outcome, { ...p.facts, migration: p.migration, version, why, sameFileAs });
  if (notApplied.length === 0) {
    const verdict = against(state);
    return group.map((p) => (p === first ? at(p, verdict.outcome, verdict.why ?? p.facts.why) : at(p, verdict.outcome, verdict.why ?? `same file as ${first.ref}`, first.ref)));
  }
  if (applied.length === 0) return group.map((p) => at(p, 'skipped', p.facts.why ?? 'not applied'));
  return group.map((p) => at(p, 'partial', p.applied
    ? `${first.migration.file} is also named by ${refs(notApplied)}, which ${notApplied.length === 1 ? 'was' : 'were'} not applied`
    : `${p.facts.why ?? 'not applied'}, while ${refs(applied)} of the same file ${applied.length === 1 ? 'was' : 'were'} applied`));
}

/** Why a Flyway repeatable is left pending, `undefined` when Flyway applied this very file. */
function outdated(foreign: ForeignEntry, migration: Migration, checksums: ReadonlyMap<string, number> | undefined): string | undefined {
  if (foreign.key.kind !== 'script' || foreign.checksum === undefined) return undefined;
  const ours = checksums?.get(migration.id);
  if (foreign.checksum !== null && ours === foreign.checksum) return undefined;
  const theirs = foreign.checksum === null ? 'Flyway recorded no checksum for it' : `Flyway's checksum ${foreign.checksum}, the file's ${ours === undefined ? 'unknown' : String(ours)}`;
  return `changed since Flyway last applied it (${theirs}): not imported, so it stays pending and "migrate up" re-applies it`;
}

/** `import`, `recorded` or `conflict`, from the state migrator's own history gives the file. */
function against(state: EntryState | undefined): { outcome: MappedEntry['outcome']; why?: string } {
  if (state === undefined || state === 'pending' || state === 'out_of_order') return { outcome: 'import' };
  if (state === 'applied') return { outcome: 'recorded', why: 'already in migrator_history' };
  return { outcome: 'conflict', why: `migrator_history already says ${state.replace(/_/g, ' ')}` };
}

/**
 * Maps each entry to a file and an outcome. Pure and total: never throws; refusing is the
 * caller's decision (`refusal`). Entries that `head` implies (golang-migrate, Alembic) are
 * expanded into one entry per versioned file at or below the head, in version order. Entries
 * naming the same file are decided together ({@link decideFile}): the file is written once, and
 * only when every one of them was applied. A Flyway repeatable whose file changed since Flyway
 * applied it is `skipped` (it stays pending). Entries keep their order.
 */
export function mapImport(input: MapInput): ImportMapping {
  const versioned = input.migrations.filter((m) => m.version !== undefined);
  const files: Files = { byVersion: new Map(versioned.map((m) => [m.id, m])), all: input.migrations };
  const states = new Map(inspect(input.migrations, input.history, { outOfOrder: true }).entries.map((e) => [e.id, e.state]));
  const recordedBaselines = input.history.filter((row) => row.state !== 'rolled_back');
  const slots: Array<MappedEntry | Placement> = [];
  const place = (p: Placement): void => { slots.push(p); };
  for (const foreign of input.entries) {
    const facts = { appliedAt: foreign.appliedAt, appliedBy: foreign.appliedBy };
    if (foreign.state === 'baseline') {
      const version = foreign.key.kind === 'version' ? canonical(foreign.key.raw) : undefined;
      if (version === undefined) {
        slots.push(entry(foreign.ref, 'unmapped', { ...facts, why: 'a baseline without a version' }));
        continue;
      }
      const existing = recordedBaselines.find((row) => row.version === version);
      const outcome = existing === undefined ? 'import' : existing.kind === 'baseline' ? 'recorded' : 'conflict';
      slots.push(entry(foreign.ref, outcome, { ...facts, version, kind: 'baseline', why: outcome === 'conflict' ? `migrator_history already has version ${version}` : undefined }));
      continue;
    }
    const found = resolveKey(foreign.key, files);
    if (foreign.state === 'skipped') {
      const why = foreign.note ?? 'not applied';
      if (found.migration === undefined || foreign.unrelated === true) slots.push(entry(foreign.ref, 'skipped', { ...facts, version: found.version, migration: found.migration, why }));
      else place({ ref: foreign.ref, migration: found.migration, applied: false, facts: { ...facts, why } });
      continue;
    }
    if (found.migration === undefined) {
      slots.push(entry(foreign.ref, 'unmapped', { ...facts, version: found.version, why: found.why }));
      continue;
    }
    // Already applied by migrator with this very file: recorded, whatever Flyway's checksum says.
    const stale = states.get(found.migration.id) === 'applied' ? undefined : outdated(foreign, found.migration, input.flywayChecksums);
    if (stale !== undefined) {
      slots.push(entry(foreign.ref, 'skipped', { ...facts, migration: found.migration, why: stale }));
      continue;
    }
    if (foreign.state === 'head') {
      const head = found.migration;
      const below = versioned
        .filter((m) => compareVersionIds(m.id, head.id) <= 0)
        .sort((a, b) => compareVersionIds(a.id, b.id));
      for (const m of below) place({ ref: m === head ? foreign.ref : `${m.id} (below ${foreign.ref})`, migration: m, applied: true, facts: m === head ? facts : { why: `implied by ${foreign.ref}` } });
      continue;
    }
    place({ ref: foreign.ref, migration: found.migration, applied: true, facts });
  }
  const groups = new Map<string, Placement[]>();
  for (const slot of slots) if ('applied' in slot) groups.set(slot.migration.id, [...(groups.get(slot.migration.id) ?? []), slot]);
  const decided = new Map<Placement, MappedEntry>();
  for (const [id, group] of groups) decideFile(group, states.get(id)).forEach((e, i) => decided.set(group[i] as Placement, e));
  const out = slots.map((slot) => ('applied' in slot ? (decided.get(slot) as MappedEntry) : slot));
  return { entries: out, gaps: gapsBelow(out, versioned, states) };
}

/** The entries that write a history row: `import`, once per file (not the entries sharing an earlier one's file). */
export function rowsToWrite(mapping: ImportMapping): ReadonlyArray<MappedEntry> {
  return mapping.entries.filter((e) => e.outcome === 'import' && e.sameFileAs === undefined);
}

/** Pending versioned files lower than the highest imported version, not covered by an imported baseline. */
function gapsBelow(entries: ReadonlyArray<MappedEntry>, versioned: ReadonlyArray<Migration>, states: ReadonlyMap<string, EntryState>): string[] {
  const taken = entries.filter((e) => e.outcome === 'import' || e.outcome === 'recorded');
  const top = taken.reduce<string | undefined>((max, e) => (e.version !== undefined && (max === undefined || compareVersionIds(e.version, max) > 0) ? e.version : max), undefined);
  if (top === undefined) return [];
  const baseline = taken.filter((e) => e.kind === 'baseline').reduce<string | undefined>((max, e) => (e.version !== undefined && (max === undefined || compareVersionIds(e.version, max) > 0) ? e.version : max), undefined);
  const mapped = new Set(taken.map((e) => e.migration?.id));
  return versioned
    .filter((m) => !mapped.has(m.id) && compareVersionIds(m.id, top) < 0 && (baseline === undefined || compareVersionIds(m.id, baseline) > 0))
    .filter((m) => { const state = states.get(m.id); return state === 'pending' || state === 'out_of_order'; })
    .map((m) => m.id)
    .sort(compareVersionIds);
}
