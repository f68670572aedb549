/**
 * `migrate up` SIGKILLed at every boundary of a run (MIGRATOR_TEST_FAULT), then at random times,
 * on every engine, each kill on a fresh database. After each kill:
 * - `status --json` exits 0 and tells the truth: a migration is applied iff all its tables exist,
 *   pending iff none do; an in_progress row appears only for a journaled migration (MySQL, or a
 *   `-- migrate:transaction off` file) and counts exactly the statements whose effects are there,
 *   the one in flight aside;
 * - the dead run's lock is free at once (the next `up` gives up after 5 s, and must not need to);
 * - the run converges: a plain `up` where DDL is transactional; where it is not, `up` exits 6
 *   naming `migrate up --resume` and `migrate repair`, and `up --resume` alone brings everything to
 *   applied, each statement having run exactly once (it checks whether the statement in flight at
 *   the kill had completed).
 */
import { describe, it, type ExpectStatic } from 'vitest';
import { EXIT, Project, logLines, slowStatement, type CliResult } from '../helpers.js';
import { createTarget, engineCases, statusDoc, type Engine, type EngineCase, type HistoryEntry, type Target } from './support.js';

interface Statement {
  readonly sql: string;
  /** The table this statement creates: how the test sees whether it ran. */
  readonly creates?: string;
}

interface MigrationSpec {
  readonly version: string;
  readonly statements: ReadonlyArray<Statement>;
  readonly transactionOff?: boolean;
}

const create = (table: string): Statement => ({ sql: `CREATE TABLE ${table} (x int);`, creates: table });

/** V1 one statement, V2 three, V3 one: run order reaches statement boundaries 1..5. */
function boundarySet(transactionOff: boolean): MigrationSpec[] {
  return [
    { version: '1', statements: [create('c1')] },
    { version: '2', statements: [create('c2a'), create('c2b'), create('c2c')], transactionOff },
    { version: '3', statements: [create('c3')] },
  ];
}

/** Slow statements between the CREATEs, so that a kill at a random time lands mid-run. Each migration ends with a CREATE. */
function slowSet(engine: Engine): MigrationSpec[] {
  const slow: Statement = { sql: engine === 'postgres' ? 'SELECT pg_sleep(0.1);' : engine === 'mysql' ? 'DO SLEEP(0.1);' : slowStatement(700_000) };
  return [
    { version: '1', statements: [create('r1a'), slow, create('r1b')] },
    { version: '2', statements: [create('r2a'), slow, create('r2b'), slow, create('r2c')] },
    { version: '3', statements: [slow, create('r3')] },
  ];
}

function writeSet(project: Project, set: ReadonlyArray<MigrationSpec>): void {
  for (const m of set) {
    const header = m.transactionOff ? '-- migrate:transaction off\n' : '';
    project.write(`V${m.version}__m${m.version}.sql`, `${header}${m.statements.map((s) => s.sql).join('\n')}\n`);
  }
}

const tablesOf = (m: MigrationSpec): string[] => m.statements.flatMap((s) => (s.creates === undefined ? [] : [s.creates]));

/** Where the engine cannot roll a migration back whole: its history row is journaled statement by statement. */
const journaled = (engine: Engine, m: MigrationSpec): boolean => engine === 'mysql' || m.transactionOff === true;

interface Expected {
  /** Per version: `applied`, `pending`, or `in_progress <statements recorded>`. */
  readonly states: Record<string, string>;
  readonly tables: ReadonlySet<string>;
}

/** A statement that only reads or writes rows: journaled, it commits with its journal write. */
const isData = (statement: Statement): boolean => /^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(statement.sql);

/**
 * What the database holds when the run dies at the `occurrence`-th `point`, following the order
 * the executor promises: a transactional migration keeps nothing before its commit. A journaled
 * one has no row until its first statement: a DDL statement is recorded in flight before it runs,
 * a data statement commits with its journal write. A CREATE TABLE (a form whose effect the
 * fingerprint shows) followed by DDL or by nothing is recorded done only by the next write; any
 * other statement at once. Then `applied`.
 */
function expectedAfterKill(set: ReadonlyArray<MigrationSpec>, engine: Engine, point: string, occurrence: number): Expected {
  const states: Record<string, string> = Object.fromEntries(set.map((m) => [m.version, 'pending']));
  const tables = new Set<string>();
  let seen = 0;
  const hit = (p: string): boolean => p === point && ++seen === occurrence;
  if (hit('lock.acquired')) return { states, tables };
  for (const m of set) {
    const done: string[] = [];
    // The row's statements_applied; undefined while the migration has no row.
    let recorded: number | undefined;
    const stop = (): Expected => {
      if (journaled(engine, m) && recorded !== undefined) {
        states[m.version] = `in_progress ${recorded}`;
        for (const table of done) tables.add(table);
      }
      return { states, tables };
    };
    for (const [index, statement] of m.statements.entries()) {
      if (hit('statement.before')) return stop();
      if (!isData(statement)) recorded = index;
      if (statement.creates !== undefined) done.push(statement.creates);
      // Ran, but not yet recorded: the journal counts a statement only once it returned.
      if (hit('statement.after')) return stop();
      const next = m.statements[index + 1];
      if (statement.creates === undefined || (next !== undefined && isData(next))) recorded = index + 1;
    }
    if (hit('commit.before')) return stop();
    states[m.version] = 'applied';
    for (const table of done) tables.add(table);
    if (hit('commit.after')) return { states, tables };
  }
  throw new Error(`a run of this set never reaches ${point}:${occurrence}`);
}

interface Stuck {
  readonly version: string;
  readonly recorded: number;
  readonly total: number;
  /** Every statement of the migration has its effect: the one in flight was its last and it completed. */
  readonly allDone: boolean;
}

interface Observed {
  readonly states: Record<string, string>;
  readonly tables: ReadonlySet<string>;
  readonly stuck: Stuck | undefined;
}

const urlArgs = (target: Target): string[] => ['--url', target.url];

/**
 * Reads status and the database after a kill and checks that they agree (see the file comment).
 * Returns what status says, with statement counts, and the tables that exist.
 */
async function observeTruth(expect: ExpectStatic, project: Project, target: Target, set: ReadonlyArray<MigrationSpec>, context: string): Promise<Observed> {
  const status = statusDoc(await project.run(['status', '--json', ...urlArgs(target)]));
  const history = new Map<string, HistoryEntry>((await target.history()).map((row) => [row.version, row]));
  const tables = new Set<string>();
  for (const m of set) for (const table of tablesOf(m)) if (await target.tableExists(table)) tables.add(table);

  const states: Record<string, string> = {};
  let stuck: Stuck | undefined;
  for (const m of set) {
    const state = status.migrations.find((entry) => entry.version === m.version)?.state;
    const row = history.get(m.version);
    const present = m.statements.map((s) => s.creates === undefined || tables.has(s.creates));
    const what = `${context}: V${m.version} is ${String(state)} (history ${row ? `${row.state} ${row.statementsApplied}/${row.statementsTotal}` : 'none'}), tables present: ${tablesOf(m).filter((t) => tables.has(t)).join(', ') || 'none'}`;
    if (state === 'applied') {
      expect(row?.state, what).toBe('applied');
      expect(tablesOf(m).every((t) => tables.has(t)), what).toBe(true);
      states[m.version] = state;
    } else if (state === 'pending') {
      expect(row === undefined || row.state === 'rolled_back', what).toBe(true);
      expect(tablesOf(m).some((t) => tables.has(t)), what).toBe(false);
      states[m.version] = state;
    } else {
      expect(state, what).toBe('in_progress');
      expect(journaled(target.engine, m), `${what}: only a journaled migration may be left part-way`).toBe(true);
      expect(row?.state, what).toBe('in_progress');
      const recorded = row?.statementsApplied ?? -1;
      // Every statement recorded as applied took effect; none after the one in flight did.
      expect(present.slice(0, recorded).every(Boolean), `${what}: a statement counted as applied left nothing`).toBe(true);
      expect(m.statements.slice(recorded + 1).some((s) => s.creates !== undefined && tables.has(s.creates)), `${what}: statements ran beyond the journal`).toBe(false);
      expect(stuck, `${what}: a second migration left part-way`).toBeUndefined();
      stuck = { version: m.version, recorded, total: m.statements.length, allDone: present.every(Boolean) };
      states[m.version] = `in_progress ${recorded}`;
    }
  }
  expect(status.ok, context).toBe(stuck === undefined);
  return { states, tables, stuck };
}

/** Brings the database to all applied the way the error says, and checks the end state. */
async function converge(expect: ExpectStatic, project: Project, target: Target, set: ReadonlyArray<MigrationSpec>, observed: Observed, context: string): Promise<void> {
  const run = (args: string[]): Promise<CliResult> => project.run([...args, ...urlArgs(target), '--lock-timeout', '5s'], { timeoutMs: 20_000 });
  const started = performance.now();
  const up = await run(['up']);
  const elapsedMs = performance.now() - started;
  expect(up.code, `${context}: the dead run's lock was not freed\n${up.stderr}`).not.toBe(EXIT.lockTimeout);
  expect(elapsedMs, `${context}: the next up waited for the dead run`).toBeLessThan(5_000);

  const stuck = observed.stuck;
  if (stuck === undefined) {
    expect(up.code, `${context}\n${up.stderr}`).toBe(EXIT.ok);
  } else {
    expect(up.code, `${context}\n${up.stderr}`).toBe(EXIT.stateDisagrees);
    expect(up.stderr, context).toMatch(new RegExp(`^error\\[E_FAILED_MIGRATION\\]: version ${stuck.version}\\b.*in progress`, 'm'));
    expect(up.stderr, context).toContain('migrate up --resume');
    expect(up.stderr, context).toContain('migrate repair');
    // One command, whatever the kill interrupted: the journal recorded the statement in flight with
    // the schema fingerprint before it, so the resume knows whether it completed (even the last one).
    const resumed = await run(['up', '--resume']);
    expect(resumed.code, `${context}: up --resume, the command the error names (V${stuck.version} recorded ${stuck.recorded} of ${stuck.total} statements)\n${resumed.stderr}`).toBe(EXIT.ok);
    expect(resumed.stderr, context).not.toMatch(/already exists/i);
  }

  const history = await target.history();
  expect(history.map((row) => `${row.version} ${row.state}`), context).toEqual(set.map((m) => `${m.version} applied`));
  for (const m of set) for (const table of tablesOf(m)) expect(await target.tableExists(table), `${context}: table ${table}`).toBe(true);
  const applied = (await target.auditEvents()).filter((row) => row.event === 'migration.applied').map((row) => row.version);
  expect(new Set(applied).size, `${context}: one migration.applied audit row per version at most`).toBe(applied.length);
  const again = await run(['up']);
  expect(again.code, `${context}: up once converged\n${again.stderr}`).toBe(EXIT.ok);
  expect(again.stdout, context).toContain('Already up to date');
}

const POINTS = [
  'lock.acquired',
  'statement.before:1', 'statement.before:2', 'statement.before:3',
  'statement.after:1', 'statement.after:3', 'statement.after:4',
  'commit.before:1', 'commit.before:2', 'commit.before:3',
  'commit.after:1', 'commit.after:2', 'commit.after:3',
];
/** With V2 journaled on PostgreSQL: the boundaries inside and around it. */
const TRANSACTION_OFF_POINTS = ['statement.before:2', 'statement.before:3', 'statement.after:3', 'statement.after:4', 'commit.before:2', 'commit.after:2'];

interface Variant {
  readonly label: string;
  readonly engineCase: EngineCase;
  readonly transactionOff: boolean;
  readonly points: ReadonlyArray<string>;
}

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);
const variants: Variant[] = cases.flatMap((engineCase): Variant[] => [
  { label: engineCase.engine, engineCase, transactionOff: false, points: POINTS },
  ...(engineCase.engine === 'postgres' ? [{ label: 'postgres, V2 transaction off', engineCase, transactionOff: true, points: TRANSACTION_OFF_POINTS }] : []),
]);

for (const variant of variants) {
  const { engineCase } = variant;
  describe.skipIf(engineCase.skip !== undefined).concurrent(`${variant.label}: up SIGKILLed at a boundary`, () => {
    it.for([...variant.points])('%s: status tells the truth, the lock is free, the run converges', { timeout: 60_000 }, async (fault, { expect, onTestFinished }) => {
      const [point = '', count = '1'] = fault.split(':');
      const set = boundarySet(variant.transactionOff);
      const project = new Project({ onTestFinished });
      writeSet(project, set);
      const target = await createTarget(engineCase, project, `crash ${fault}`, { onTestFinished });

      const crashed = await project.run(['up', ...urlArgs(target)], { env: { MIGRATOR_TEST_FAULT: fault } });
      expect(crashed.signal, `not killed at ${fault}:\n${crashed.stderr}`).toBe('SIGKILL');

      const observed = await observeTruth(expect, project, target, set, fault);
      const expected = expectedAfterKill(set, engineCase.engine, point, Number(count));
      expect(observed.states, fault).toEqual(expected.states);
      expect([...observed.tables].sort(), fault).toEqual([...expected.tables].sort());

      await converge(expect, project, target, set, observed, fault);
    });
  });

  if (variant.transactionOff) continue;
  describe.skipIf(engineCase.skip !== undefined).concurrent(`${variant.label}: up SIGKILLed at a random time`, () => {
    it.for([1, 2, 3])('kill %i: status tells the truth, the lock is free, the run converges', { timeout: 60_000 }, async (_, { expect, onTestFinished }) => {
      const delayMs = 50 + Math.floor(Math.random() * 350);
      const context = `killed ${delayMs} ms after "run started"`;
      const set = slowSet(engineCase.engine);
      const project = new Project({ onTestFinished });
      writeSet(project, set);
      const target = await createTarget(engineCase, project, `random kill ${engineCase.engine}`, { onTestFinished });

      let armed = false;
      const running = project.start(['up', ...urlArgs(target)], {
        onStderr: (stderr, child) => {
          if (armed || !logLines(stderr).some((line) => line.msg === 'run started')) return;
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        },
      });
      const crashed = await running.result;
      expect(crashed.signal, `${context}: the run ended before the kill:\n${crashed.stderr}`).toBe('SIGKILL');

      const observed = await observeTruth(expect, project, target, set, context);
      await converge(expect, project, target, set, observed, `${context}, leaving ${JSON.stringify(observed.states)}`);
    });
  });
}
