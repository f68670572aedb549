/**
 * Scripted migrations (`V<version>__<description>.ts`) through the built CLI on every engine: a
 * TypeScript migration with up, down and verify applies and reverts; values given to ctx.sql are
 * bound, never spliced (an injection attempt is stored as data); a failing verify fails the
 * migration (exit 1) and, where DDL is transactional, leaves nothing of it applied. File-level
 * problems (a syntax error, a changed applied file) are refused like those of SQL files.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, Project } from './helpers.js';
import { createTarget, engineCases } from './engines/support.js';

const INIT = `CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200), tag VARCHAR(200));
INSERT INTO notes (id, body) VALUES (1, 'first');
INSERT INTO notes (id, body) VALUES (2, 'second');
`;

const PAYLOAD = "x'); DROP TABLE notes; --";

/** A typed migration: type-only imports, an interface, annotations, all stripped when loaded. */
const SCRIPT = `import type { MigrationContext } from 'migrator';

interface Note {
  readonly id: number;
}

const PAYLOAD: string = ${JSON.stringify(PAYLOAD)};

export async function up(ctx: MigrationContext): Promise<void> {
  const { rows } = await ctx.sql\`SELECT id FROM notes ORDER BY id\`;
  for (const note of rows as unknown as Note[]) {
    await ctx.sql\`UPDATE notes SET tag = \${'tag-' + String(note.id) + '-' + ctx.dialect} WHERE id = \${note.id}\`;
  }
  await ctx.sql\`INSERT INTO notes (id, body) VALUES (\${3}, \${PAYLOAD})\`;
  ctx.log.info('tagged notes', { count: rows.length });
}

export async function down(ctx: MigrationContext): Promise<void> {
  await ctx.query(ctx.dialect === 'postgres' ? 'DELETE FROM notes WHERE id = $1' : 'DELETE FROM notes WHERE id = ?', [3]);
  await ctx.exec('UPDATE notes SET tag = NULL; UPDATE notes SET tag = NULL WHERE id = 0');
}

export async function verify(ctx: MigrationContext): Promise<boolean> {
  const { rows } = await ctx.sql\`SELECT COUNT(*) AS missing FROM notes WHERE tag IS NULL AND id < \${3}\`;
  return Number(rows[0]?.['missing']) === \${VERIFY_EXPECTS};
}
`;

function script(verifyExpects: number): string {
  return SCRIPT.replace('${VERIFY_EXPECTS}', String(verifyExpects));
}

interface NoteRow {
  readonly id: number | string;
  readonly body: string;
  readonly tag: string | null;
}

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);

for (const engineCase of cases) {
  const { engine } = engineCase;
  describe.skipIf(engineCase.skip !== undefined)(`${engine}: a scripted TypeScript migration`, () => {
    it('applies with up and verify, is listed by status and validate, and reverts with down', async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__notes.sql', INIT);
      project.write('V2__tag_notes.ts', script(0));
      const target = await createTarget(engineCase, project, `scripted ${engine}`, { onTestFinished });
      const url = ['--url', target.url];

      const status = await project.run(['status', ...url]);
      expect(status.code, status.stderr).toBe(EXIT.ok);
      expect(status.stdout).toMatch(/2\s+tag notes\s+pending/);
      const plan = await project.run(['up', '--dry-run', ...url]);
      expect(plan.code, plan.stderr).toBe(EXIT.ok);
      expect(plan.stdout).toContain('-- scripted: up(ctx) of migrations/V2__tag_notes.ts');

      const up = await project.run(['up', ...url]);
      expect(up.code, up.stderr).toBe(EXIT.ok);
      expect(up.stderr).toMatch(/"migration":"2".*"msg":"tagged notes"/);
      const notes = await target.rows<NoteRow>('SELECT id, body, tag FROM notes ORDER BY id');
      expect(notes.map((n) => [Number(n.id), n.body, n.tag])).toEqual([
        [1, 'first', `tag-1-${engine}`],
        [2, 'second', `tag-2-${engine}`],
        // The injection attempt is data: bound as a parameter, the table is still there.
        [3, PAYLOAD, null],
      ]);
      expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'applied', statementsApplied: 4 });
      const [kind] = await target.rows<{ kind: string }>("SELECT kind FROM migrator_history WHERE version = '2'");
      expect(kind?.kind).toBe('script');

      const validate = await project.run(['validate', ...url]);
      expect(validate.code, validate.stderr).toBe(EXIT.ok);

      const down = await project.run(['down', ...url]);
      expect(down.code, down.stderr).toBe(EXIT.ok);
      const after = await target.rows<NoteRow>('SELECT id, body, tag FROM notes ORDER BY id');
      expect(after.map((n) => [Number(n.id), n.tag])).toEqual([[1, null], [2, null]]);
      expect((await target.history()).at(-1)).toMatchObject({ version: '2', state: 'rolled_back' });
      expect((await target.auditEvents()).filter((e) => e.version === '2').map((e) => e.event)).toEqual(['migration.applied', 'migration.reverted']);
    });

    it('fails the migration when verify(ctx) returns false, naming it', async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__notes.sql', INIT);
      project.write('V2__tag_notes.ts', script(99));
      const target = await createTarget(engineCase, project, `scripted verify ${engine}`, { onTestFinished });

      const up = await project.run(['up', '--url', target.url]);
      expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
      expect(up.stderr).toMatch(/error\[E_MIGRATION_FAILED\]: version 2 \(tag notes\): verify\(ctx\) of migrations\/V2__tag_notes\.ts returned false/);
      const history = await target.history();
      if (engine === 'mysql') {
        // Not transactional: journaled as one step, left failed for an operator.
        expect(history.at(-1)).toMatchObject({ version: '2', state: 'failed' });
      } else {
        // Rolled back with its transaction: not applied, the data as before.
        expect(history.map((row) => row.version)).toEqual(['1']);
        const notes = await target.rows<NoteRow>('SELECT id, tag FROM notes ORDER BY id');
        expect(notes.map((n) => [Number(n.id), n.tag])).toEqual([[1, null], [2, null]]);
      }
    });
  });
}

describe('scripted migration files', () => {
  it('refuses a syntax error in a .ts file with exit 5 and file:line, before anything runs', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__notes.sql', INIT);
    project.write('V2__broken.ts', 'export async function up(ctx: unknown) {\n  const x: number = ;\n}\n');
    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.invalidFiles);
    expect(up.stderr).toMatch(/E_PARSE.*migrations\/V2__broken\.ts:2:\d+: cannot load scripted migration: syntax error/);
    expect(project.dbExists()).toBe(false);
  });

  it('refuses a module without an up export with exit 5', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__nothing.mjs', 'export async function down() {}\n');
    const validate = await project.run(['validate']);
    expect(validate.code, validate.stderr).toBe(EXIT.invalidFiles);
    expect(validate.stderr).toContain('migrations/V1__nothing.mjs:1: a scripted migration must export an up(ctx) function');
  });

  it('detects a changed applied .ts file as checksum drift (exit 6)', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__notes.sql', INIT);
    project.write('V2__tag_notes.ts', script(0));
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V2__tag_notes.ts', `${script(0)}// edited after it was applied\n`);
    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.stateDisagrees);
    expect(up.stderr).toMatch(/E_CHECKSUM_MISMATCH/);
  });

  it('reports an error thrown by up(ctx) with the line that threw and rolls it back (SQLite)', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__notes.sql', INIT);
    project.write('V2__throws.ts', "export async function up(ctx: any): Promise<void> {\n  await ctx.sql`UPDATE notes SET tag = ${'x'}`;\n  await ctx.sql`SELECT nope FROM missing_table`;\n}\n");
    const up = await project.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.migrationFailed);
    expect(up.stderr).toMatch(/version 2 \(throws\) failed in up\(ctx\) of migrations\/V2__throws\.ts:3: no such table: missing_table/);
    const tags = project.withDb((db) => db.prepare('SELECT tag FROM notes').all() as Array<{ tag: string | null }>);
    expect(tags.every((row) => row.tag === null)).toBe(true);
  });
});
