/** Small builders for planner scenarios: migrations as files, rows as history. */
import type { HistoryRow, HistoryState, Migration, MigrationKind, Script } from '../../src/core/model.js';
import { parseVersion } from '../../src/core/version.js';

export interface FileOptions {
  readonly description?: string;
  readonly depends?: ReadonlyArray<string>;
  /** Has a down script (default true). */
  readonly down?: boolean;
  readonly irreversible?: boolean;
  readonly checksum?: string;
  readonly kind?: MigrationKind;
}

function script(file: string): Script {
  return { file, statements: [{ sql: 'SELECT 1', line: 1, column: 1 }], transactional: true, timeoutMs: undefined };
}

/** The checksum a file gets unless told otherwise, and its history rows record. */
export function sumOf(id: string): string {
  return `sha256v1:${id}`;
}

/** A versioned migration `V<raw>__<description>.sql` (raw as written: `01`, `1.10`, `2_1`). */
export function v(raw: string, options: FileOptions = {}): Migration {
  const version = parseVersion(raw);
  if (version === undefined) throw new TypeError(`not a version: ${raw}`);
  const description = options.description ?? `m${raw}`;
  const file = `migrations/V${raw}__${description}.sql`;
  const hasDown = options.down ?? true;
  return {
    id: version.canonical,
    kind: options.kind ?? 'versioned',
    version,
    description,
    file,
    checksum: options.checksum ?? sumOf(version.canonical),
    downChecksum: hasDown ? `sha256v1:down-${version.canonical}` : undefined,
    up: script(file),
    down: hasDown ? script(`migrations/U${raw}__${description}.sql`) : undefined,
    verify: undefined,
    directives: {
      depends: options.depends ?? [],
      transaction: true,
      irreversible: options.irreversible ?? false,
      allow: [],
      timeoutMs: undefined,
    },
  };
}

/** A repeatable `R__<name>.sql`, id `R__<name>`. */
export function r(name: string, options: FileOptions = {}): Migration {
  const id = `R__${name}`;
  const file = `migrations/${id}.sql`;
  return {
    id,
    kind: 'repeatable',
    version: undefined,
    description: name,
    file,
    checksum: options.checksum ?? sumOf(id),
    downChecksum: undefined,
    up: script(file),
    down: undefined,
    verify: undefined,
    directives: { depends: options.depends ?? [], transaction: true, irreversible: false, allow: [], timeoutMs: undefined },
  };
}

export interface RowOptions {
  readonly state?: HistoryState;
  readonly batch?: number;
  readonly checksum?: string;
  readonly kind?: HistoryRow['kind'];
  readonly statementsApplied?: number;
  readonly statementsTotal?: number;
  readonly script?: string;
}

/** A history row for id (canonical version or `R__name`), applied in batch 1 with the default checksum. */
export function row(id: string, options: RowOptions = {}): HistoryRow {
  const kind = options.kind ?? (id.startsWith('R__') ? 'repeatable' : 'versioned');
  return {
    version: id,
    description: `m${id}`,
    kind,
    script: options.script ?? `migrations/${id.startsWith('R__') ? id : `V${id}__m${id}`}.sql`,
    checksum: options.checksum ?? sumOf(id),
    downChecksum: null,
    state: options.state ?? 'applied',
    batch: options.batch ?? 1,
    statementsTotal: options.statementsTotal ?? 1,
    statementsApplied: options.statementsApplied ?? options.statementsTotal ?? 1,
    appliedHash: null,
    appliedBy: 'test',
    appliedAt: '2026-01-01T00:00:00.000Z',
    executionMs: 1,
    error: null,
    runId: `run-${options.batch ?? 1}`,
    toolVersion: '0.1.0',
  };
}

/** Applied rows for ids, all in one batch. */
export function rows(ids: ReadonlyArray<string>, batch = 1): HistoryRow[] {
  return ids.map((id) => row(id, { batch }));
}
