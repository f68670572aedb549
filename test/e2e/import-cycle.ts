/**
 * The import scenario each tool goes through on one engine: the tool's table and rows, a dry run
 * that writes nothing, the import, `status --json` (imported ones applied, only the new one
 * pending) and `up`, which applies only the new one.
 */
import { describe, it } from 'vitest';
import { EXIT, Project, jsonDoc } from './helpers.js';
import { createTarget, engineCases, statusDoc, type Engine } from './engines/support.js';
import { FIXTURES, execute, writeFiles } from './import-fixtures.js';

export async function describeImportCycles(engine: Engine): Promise<void> {
  const [engineCase] = await engineCases([engine]);
  if (engineCase === undefined) return;
  describe(`migrate import on ${engine}`, () => {
    for (const fixture of FIXTURES.filter((f) => f.engines.includes(engine))) {
      it.skipIf(engineCase.skip !== undefined)(`${fixture.tool}: dry run writes nothing, import records ${fixture.applied.join(', ')}, up applies only ${fixture.pending.join(', ')}`, async ({ expect, onTestFinished }) => {
        const project = new Project({ onTestFinished });
        const target = await createTarget(engineCase, project, `import ${fixture.tool} ${engine}`, { onTestFinished });
        writeFiles(project, fixture.files);
        await execute(target, project, fixture.sql(engine));
        const url = ['--url', target.url];

        const dry = await project.run(['import', '--from', fixture.tool, '--dry-run', ...url]);
        expect(dry.code, dry.stderr).toBe(EXIT.ok);
        expect(dry.stdout).toMatch(/Dry run: would record \d+ migrations? as applied; nothing was written\./);
        expect(await target.tableExists('migrator_history')).toBe(false);

        const run = await project.run(['import', '--from', fixture.tool, '--json', ...url]);
        expect(run.code, run.stderr).toBe(EXIT.ok);
        const doc = jsonDoc<{ ok: boolean; written: number; entries: Array<{ outcome: string; version: string | null }> }>(run.stdout);
        expect(doc.ok).toBe(true);
        expect(doc.written).toBe(fixture.applied.length);
        expect(doc.entries.filter((e) => e.outcome === 'import').map((e) => e.version)).toEqual(fixture.applied);

        const status = statusDoc(await project.run(['status', '--json', ...url]));
        expect(status.problems).toEqual([]);
        expect(status.migrations.filter((m) => m.state === 'applied').map((m) => m.version)).toEqual(fixture.applied);
        expect(status.migrations.filter((m) => m.state === 'pending').map((m) => m.version)).toEqual(fixture.pending);

        const up = await project.run(['up', ...url]);
        expect(up.code, up.stderr).toBe(EXIT.ok);
        const history = await target.history();
        expect(history.map((r) => r.version)).toEqual([...fixture.applied, ...fixture.pending]);
        // Imported migrations never ran; the new one did.
        expect(await target.tableExists('imp_1')).toBe(false);
        expect(await target.tableExists(`imp_${fixture.files.length}`)).toBe(true);
        expect((await target.auditEvents()).map((a) => a.event)[0]).toBe('import');
      }, 30_000);
    }
  });
}
