/**
 * Scale (issue 9): the file side of `status` and `validate` over 100,000 migrations, in process —
 * parsing, migrator.sum, inspection, both planners, lint and the renderers — and the loader over a
 * directory of 20,000 files (writing 100,000 files to a disk takes longer than all the rest). Not
 * a timing test: it checks the results, and anything quadratic left in these paths would blow the
 * test timeout (10^10 steps) where linear work takes seconds. bench/scale.mjs measures the times.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Output } from '../../src/cli/io.js';
import { planJson, planScript } from '../../src/cli/render/plan.js';
import { renderStatus, statusJson } from '../../src/cli/render/status.js';
import { lintMigrations } from '../../src/core/lint/index.js';
import type { HistoryRow, Migration } from '../../src/core/model.js';
import { inspect, planDown, planUp } from '../../src/core/plan/index.js';
import type { Capabilities } from '../../src/core/ports.js';
import { loadMigrations } from '../../src/core/source/loader.js';
import { parseMigrationFile } from '../../src/core/source/parse.js';
import { checkSum, compareSum, computeSum, SUM_FILE_NAME } from '../../src/core/source/sum.js';
import { parseVersion } from '../../src/core/version.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';
import { row } from './plan-fixtures.js';

const policy = { outOfOrder: false };
const capabilities: Capabilities = { transactionalDdl: true, statementTimeout: false };

/**
 * The files of a synthetic project: `V<i>__m<i>.sql` creating a table each, one in ten with a
 * down section, one in a thousand depending on the next version (which moves it after that one in
 * plan order), and two repeatables.
 */
function project(n: number): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = [];
  for (let i = 1; i <= n; i++) {
    const create = `CREATE TABLE t_${i} (id INT PRIMARY KEY);\n`;
    const depends = i % 1000 === 501 ? `-- migrate:depends ${i + 1}\n` : '';
    files.push({ name: `V${i}__m${i}.sql`, text: i % 10 === 0 ? `-- migrate:up\n${create}-- migrate:down\nDROP TABLE t_${i};\n` : `${depends}${create}` });
  }
  files.push({ name: 'R__view_a.sql', text: 'CREATE VIEW v_a AS SELECT 1;\n' }, { name: 'R__view_b.sql', text: 'CREATE VIEW v_b AS SELECT 2;\n' });
  return files;
}

/** What the loader makes of one file of {@link project}, without the directory. */
function migrationOf(name: string, text: string): Migration {
  const file = `migrations/${name}`;
  const parsed = parseMigrationFile(file, text, sqliteSyntax);
  expect(parsed.problems).toEqual([]);
  const match = /^(?:V(\d+)__m\d+|R__(view_\w))\.sql$/.exec(name);
  const version = match?.[1] === undefined ? undefined : parseVersion(match[1]);
  const description = version ? `m${version.canonical}` : (match?.[2] ?? '').replace('_', ' ');
  const { up, down, verify, directives, checksum, downChecksum } = parsed;
  return { id: version ? version.canonical : `R__${match?.[2] ?? ''}`, kind: version ? 'versioned' : 'repeatable', version, description, file, checksum, downChecksum, up, down, verify, directives };
}

/** The migrations in the order `up` applies them without dependencies: versions, then repeatables. */
function applyOrder(migrations: ReadonlyArray<Migration>): Migration[] {
  const rank = (m: Migration): number => (m.version === undefined ? Number.MAX_SAFE_INTEGER : Number(m.id));
  return [...migrations].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1));
}

/** History rows applying `migrations` in one batch, with the checksums the files have. */
function applied(migrations: ReadonlyArray<Migration>): HistoryRow[] {
  return migrations.map((m) => ({ ...row(m.id, { checksum: m.checksum, script: m.file }), description: m.description }));
}

/** An Output that keeps the text, split into lines (the status table is one write of many lines). */
function collect(): { output: Output; lines: () => string[] } {
  const chunks: string[] = [];
  return { output: { json: false, line: (text = '') => void chunks.push(text), document: () => undefined }, lines: () => chunks.join('\n').split('\n') };
}

describe('100,000 migrations in memory', () => {
  const N = 100_000;
  const HALF = N / 2;
  let files: Array<{ name: string; text: string }>;
  let migrations: Migration[];

  beforeAll(() => {
    files = project(N);
    // In file-name order, as the loader returns them.
    migrations = files.map((f) => migrationOf(f.name, f.text)).sort((a, b) => (a.file < b.file ? -1 : 1));
  });

  it('parses every file', () => {
    expect(migrations).toHaveLength(N + 2);
    expect(new Set(migrations.map((m) => m.checksum)).size).toBe(N + 2);
    const ten = migrations.find((m) => m.id === '10');
    expect(ten?.up.statements.map((s) => s.sql)).toEqual(['CREATE TABLE t_10 (id INT PRIMARY KEY)']);
    expect(ten?.down?.statements.map((s) => s.sql)).toEqual(['DROP TABLE t_10']);
    expect(migrations.find((m) => m.id === '2501')?.directives.depends).toEqual(['2502']);
  });

  it('writes and checks migrator.sum over all of them', () => {
    const inputs = files.map((f) => ({ path: f.name, text: f.text }));
    const sum = computeSum(inputs);
    expect(sum.split('\n')).toHaveLength(N + 4);
    const edited = computeSum(inputs.map((input) => (input.path === 'V77777__m77777.sql' ? { ...input, text: 'SELECT 1;\n' } : input)));
    expect(compareSum(sum, edited, 'migrations/migrator.sum').map((p) => p.message)).toEqual(['migrations/V77777__m77777.sql changed since migrations/migrator.sum was written']);
  });

  it('inspects, plans, lints and renders with nothing applied', () => {
    const inspection = inspect(migrations, [], policy);
    expect(inspection.problems).toEqual([]);
    expect(inspection.current).toBeNull();
    expect(inspection.entries).toHaveLength(N + 2);
    expect(inspection.entries.every((e) => e.state === 'pending')).toBe(true);
    const plan = planUp(migrations, [], { policy });
    const ids = plan.steps.map((s) => s.migration.id);
    expect(ids.slice(0, 3)).toEqual(['1', '2', '3']);
    // 501 waits for 502: versions in numeric order, each after what it depends on.
    expect(ids.slice(499, 503)).toEqual(['500', '502', '501', '503']);
    expect(ids.slice(-3)).toEqual([String(N), 'R__view_a', 'R__view_b']);
    expect(plan.toVersion).toBe(String(N));
    expect(lintMigrations(migrations, sqliteSyntax, { only: new Set(ids) }).findings).toEqual([]);
    const script = planScript(plan, 'SQLite test', capabilities);
    expect(script).toContain(`-- ${N + 2} steps, version (none) -> ${N}`);
    expect(script.split('\n').filter((line) => line.startsWith('CREATE TABLE'))).toHaveLength(N);
    expect(planJson(plan, capabilities).steps.at(-1)?.id).toBe('R__view_b');
    const { output, lines } = collect();
    renderStatus(inspection, 'SQLite test', output);
    const text = lines();
    expect(text.filter((line) => / pending$/.test(line))).toHaveLength(N + 2);
    expect(text.at(-1)).toBe(`${N + 2} pending: run "migrate up" to apply.`);
  });

  it('inspects, plans and renders with half of them applied', () => {
    const history = applied(applyOrder(migrations).slice(0, HALF));
    const inspection = inspect(migrations, history, policy);
    expect(inspection.problems).toEqual([]);
    expect(inspection.current).toBe(String(HALF));
    expect(inspection.entries.slice(0, 2).map((e) => e.id)).toEqual(['1', '2']);
    expect(inspection.entries.filter((e) => e.state === 'applied')).toHaveLength(HALF);
    expect(inspection.entries.at(-1)?.id).toBe('R__view_b');
    const up = planUp(migrations, history, { policy });
    expect(up.steps).toHaveLength(N - HALF + 2);
    expect(up.steps[0]?.migration.id).toBe(String(HALF + 1));
    expect(up.fromVersion).toBe(String(HALF));
    const down = planDown(migrations, history, { kind: 'version', version: String(HALF) });
    expect(down.steps.map((s) => s.migration.id)).toEqual([String(HALF)]);
    const json = statusJson(inspection, 'SQLite test') as { migrations: ReadonlyArray<unknown>; pending: number };
    expect(json.migrations).toHaveLength(N + 2);
    expect(json.pending).toBe(N - HALF + 2);
    const { output, lines } = collect();
    renderStatus(inspection, 'SQLite test', output);
    const text = lines();
    expect(text[3]).toMatch(/^VERSION +DESCRIPTION +STATE +APPLIED AT +BATCH$/);
    expect(text[4]).toMatch(/^1 +m1 +applied +2026-01-01 00:00:00Z +1$/);
    expect(text.filter((line) => / applied /.test(line))).toHaveLength(HALF);
  });

  it('reports every applied version whose file is gone', () => {
    // A checkout that lost all but its last ten versioned files: the other rows are history only,
    // each placed by version among the rest.
    const kept = migrations.filter((m) => m.kind === 'repeatable' || Number(m.id) > N - 10);
    const inspection = inspect(kept, applied(applyOrder(migrations)), policy);
    expect(inspection.entries).toHaveLength(N + 2);
    expect(inspection.entries.slice(0, 2).map((e) => [e.id, e.state])).toEqual([['1', 'missing_file'], ['2', 'missing_file']]);
    expect(inspection.entries.slice(-3).map((e) => [e.id, e.state])).toEqual([[String(N), 'applied'], ['R__view_a', 'applied'], ['R__view_b', 'applied']]);
    expect(inspection.problems).toHaveLength(N - 10);
    expect(inspection.problems.every((p) => p.code === 'E_MISSING_FILE')).toBe(true);
  });
});

describe('the loader over a directory of 20,000 files', () => {
  const N = 20_000;
  let cwd: string;

  beforeAll(() => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'migrator-scale-'));
    const dir = path.join(cwd, 'migrations');
    mkdirSync(dir);
    const files = project(N);
    for (const file of files) writeFileSync(path.join(dir, file.name), file.text);
    writeFileSync(path.join(dir, SUM_FILE_NAME), computeSum(files.map((f) => ({ path: f.name, text: f.text }))));
  });

  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('reads every file, in file-name order, as the in-memory parse does, and agrees with migrator.sum', async () => {
    const loaded = await loadMigrations({ dirs: ['migrations'], cwd, syntax: sqliteSyntax });
    expect(loaded.problems).toEqual([]);
    expect(loaded.migrations).toHaveLength(N + 2);
    expect(loaded.migrations.map((m) => m.file)).toEqual(loaded.migrations.map((m) => m.file).sort());
    const summary = (m: Migration): unknown[] => [m.id, m.kind, m.description, m.checksum, m.downChecksum, m.up.statements.length, m.down?.statements.length, m.directives.depends];
    const expected = project(N).map((f) => migrationOf(f.name, f.text)).sort((a, b) => (a.file < b.file ? -1 : 1));
    expect(loaded.migrations.map(summary)).toEqual(expected.map(summary));
    expect(await checkSum(['migrations'], cwd)).toEqual([]);
    const plan = planUp(loaded.migrations, [], { policy });
    expect(plan.steps.map((s) => s.migration.id).slice(-3)).toEqual([String(N), 'R__view_a', 'R__view_b']);
  });
});
