/**
 * `migrate graph` and `migrate plan` through the built CLI: the graph lists migrations in plan
 * order with their `-- migrate:depends` edges (text, DOT, JSON) from the files alone, and reports
 * a cycle as a file problem (exit 5); `plan` is `up --dry-run` and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, Project } from './helpers.js';

describe('migrate graph', () => {
  it('lists the plan order with dependencies as text, DOT and JSON, without a database', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', 'CREATE TABLE users (id INT);\n');
    project.write('V2__posts.sql', '-- migrate:depends V3\nCREATE TABLE posts (id INT);\n');
    project.write('V3__tags.sql', 'CREATE TABLE tags (id INT);\n');
    project.write('R__views.sql', '-- migrate:depends 1, 2\nCREATE VIEW v AS SELECT 1 AS "quoted ""x""";\n');

    const textual = await project.run(['graph']);
    expect(textual.code, textual.stderr).toBe(EXIT.ok);
    expect(textual.stdout).toBe([
      '4 migrations in plan order, 3 "-- migrate:depends" edges; the rest follows version order:',
      '  1  1         users',
      '  2  3         tags',
      '  3  2         posts  <- 3',
      '  4  R__views  views  <- 1, 2',
      '',
    ].join('\n'));

    const dot = await project.run(['graph', '--format', 'dot']);
    expect(dot.code, dot.stderr).toBe(EXIT.ok);
    expect(dot.stdout).toContain('"2" [label="3. 2\\nposts"];');
    expect(dot.stdout).toContain('"3" -> "2";');
    expect(dot.stdout).toContain('"2" -> "R__views";');
    expect(dot.stdout.trim().endsWith('}')).toBe(true);

    const json = await project.run(['graph', '--json']);
    const document = JSON.parse(json.stdout) as { ok: boolean; migrations: Array<{ id: string; position: number; depends: string[] }> };
    expect(document.ok).toBe(true);
    expect(document.migrations.map((m) => [m.position, m.id, m.depends])).toEqual([[1, '1', []], [2, '3', []], [3, '2', ['3']], [4, 'R__views', ['1', '2']]]);
    // Files only: no database was created.
    expect(project.dbExists()).toBe(false);
  });

  it('reports a dependency cycle as the file problem it is (exit 5)', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__a.sql', '-- migrate:depends V2\nCREATE TABLE a (id INT);\n');
    project.write('V2__b.sql', '-- migrate:depends V1\nCREATE TABLE b (id INT);\n');
    const result = await project.run(['graph']);
    expect(result.code).toBe(EXIT.invalidFiles);
    expect(result.stderr).toContain('error[E_DEPENDENCY_CYCLE]: dependency cycle: 1 -> 2 -> 1');
  });
});

describe('migrate plan', () => {
  it('is up --dry-run: prints the SQL it would run and writes nothing', async ({ onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', 'CREATE TABLE users (id INT);\n');
    project.write('V2__posts.sql', 'CREATE TABLE posts (id INT);\n');
    const plan = await project.run(['plan', '--target', '1']);
    expect(plan.code, plan.stderr).toBe(EXIT.ok);
    const dryRun = await project.run(['up', '--dry-run', '--target', '1']);
    expect(plan.stdout).toBe(dryRun.stdout);
    expect(plan.stdout).toContain('CREATE TABLE users (id INT);');
    expect(plan.stdout).not.toContain('posts');
    expect(project.dbExists()).toBe(false);
  });
});
