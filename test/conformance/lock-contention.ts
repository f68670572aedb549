/**
 * The reusable lock-contention test (after goose's locktesting): N runners, each on its own
 * session, race through the real executor over the same migrations. Exactly one applies each
 * migration, the others find nothing left to do, and nobody fails. Engine-neutral: every driver's
 * integration test runs it.
 */
import { describe, expect, it } from 'vitest';
import { createEventBus, type MigratorEvent } from '../../src/core/events.js';
import type { Migration, RunContext } from '../../src/core/model.js';
import { planUp } from '../../src/core/plan/index.js';
import type { Driver } from '../../src/core/ports.js';
import { runPlan, type RunReport } from '../../src/core/run/executor.js';
import { parseMigrationFile } from '../../src/core/source/parse.js';
import { parseVersion } from '../../src/core/version.js';
import type { ConformanceTarget } from './driver-conformance.js';

function migrationsFor(driver: Driver, count: number): Migration[] {
  return Array.from({ length: count }, (_, i) => {
    const id = String(i + 1);
    const file = `migrations/V${id}__contended_${id}.sql`;
    // Plain CREATE TABLE (no IF NOT EXISTS): applying a migration twice fails loudly.
    const parsed = parseMigrationFile(file, `-- migrate:up\nCREATE TABLE contended_${id} (id INTEGER PRIMARY KEY);\nINSERT INTO contended_${id} (id) VALUES (1);\n-- migrate:down\nDROP TABLE contended_${id};\n`, driver.syntax);
    const version = parseVersion(id);
    if (!version || parsed.problems.length > 0) throw new Error(`bad fixture ${file}`);
    return { id, kind: 'versioned', version, description: `contended ${id}`, file, checksum: parsed.checksum, downChecksum: parsed.downChecksum, up: parsed.up, down: parsed.down, verify: parsed.verify, directives: parsed.directives };
  });
}

// Every runner lives in this process: a fake pid would (rightly) look like a dead holder to a lease.
function context(runner: number): RunContext {
  return { runId: `runner-${runner}-${Math.random().toString(36).slice(2)}`, actor: `runner-${runner}`, host: 'contention-host', pid: process.pid, environment: 'test', command: 'migrate up', toolVersion: '0.0.0-test', now: () => new Date() };
}

/** Registers the lock-contention test for the driver `name`. */
export function describeLockContention(name: string, target: ConformanceTarget, options: { runners?: number; migrations?: number } = {}): void {
  const runners = options.runners ?? 5;
  const count = options.migrations ?? 12;
  describe(`${name} lock contention`, () => {
    it(`${runners} runners racing over ${count} migrations: each applied exactly once, all succeed`, async () => {
      const database = await target.fresh();
      const sessions: Driver[] = [];
      try {
        for (let i = 0; i < runners; i++) sessions.push(await database.open());
        const events: MigratorEvent[] = [];
        const reports: RunReport[] = await Promise.all(sessions.map((driver, i) => {
          const bus = createEventBus();
          bus.subscribe((event) => events.push(event));
          const migrations = migrationsFor(driver, count);
          return runPlan({ driver, context: context(i), emit: bus.emit, signal: new AbortController().signal, lockTimeoutMs: 60_000, direction: 'up', plan: (history) => planUp(migrations, history, { policy: { outOfOrder: false } }) });
        }));
        expect(reports.map((r) => r.error?.message ?? r.outcome)).toEqual(reports.map(() => 'success'));
        const applied = reports.flatMap((r) => r.completed.map((c) => c.id));
        expect(applied.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: count }, (_, i) => String(i + 1)));
        expect(events.filter((e) => e.type === 'migration.applied')).toHaveLength(count);
        const check = await database.open({ readOnly: true });
        sessions.push(check);
        const state = await check.readState();
        expect(state.rows.filter((row) => row.state === 'applied')).toHaveLength(count);
        for (let i = 1; i <= count; i++) expect(Number(await check.queryValue(`SELECT count(*) FROM contended_${i}`))).toBe(1);
      } finally {
        for (const session of sessions) await session.close();
        await database.cleanup();
      }
    });
  });
}
