/**
 * Placeholders as a user meets them (docs/file-format.md#placeholders), on SQLite: values per
 * environment and from MIGRATOR_PLACEHOLDER_<NAME>, checksums of the raw file whatever the values,
 * an undeclared name refused before anything runs (exit 5, file:line), and files run verbatim when
 * no placeholders: key is configured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, checksumOf, history } from './helpers.js';

const CONFIG = [
  'placeholders:',
  '  schema: { value: main, as: identifier }',
  "  owner: { value: \"O'Brien\", as: literal }",
  'environments:',
  '  dev: {}',
  '  prod:',
  '    placeholders:',
  '      owner: { value: "prod\'; DROP TABLE items; --" }',
  '',
].join('\n');

const V1 = "CREATE TABLE ${schema}.items (id INTEGER PRIMARY KEY, owner TEXT NOT NULL DEFAULT ${owner}, note TEXT);\nINSERT INTO ${schema}.items (note) VALUES ('${owner} stays as written');\n";

describe.concurrent('placeholders', () => {
  it('applies with the configured values; another environment\'s values do not change the checksum', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), CONFIG);
    project.write('V1__items.sql', V1);
    const up = await project.run(['up', '--env', 'dev']);
    expect(up.stderr).not.toContain('error[');
    expect(up.code).toBe(EXIT.ok);
    project.withDb((db) => {
      expect(db.prepare('SELECT owner, note FROM items').all()).toEqual([{ owner: "O'Brien", note: '${owner} stays as written' }]);
      expect(history(db).map((row) => row.checksum)).toEqual([checksumOf(V1)]);
    });
    // prod renders another owner (a quote breakout, quoted as a literal): same file, same checksum.
    for (const args of [['validate', '--env', 'prod'], ['status', '--check', '--env', 'prod']]) {
      const result = await project.run(args);
      expect(`${args.join(' ')}: ${result.code} ${result.stderr}`).toBe(`${args.join(' ')}: ${EXIT.ok} `);
    }
    const shown = await project.run(['config', '--env', 'prod'], { env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'temp' } });
    expect(shown.stdout).toContain("owner = prod'; DROP TABLE items; -- (literal); schema = temp (identifier)");
  });

  it('renders the prod values, and a placeholder value from the environment', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), CONFIG);
    project.write('V1__items.sql', V1);
    const plan = await project.run(['up', '--dry-run', '--env', 'prod'], { env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'temp' } });
    expect(plan.code).toBe(EXIT.ok);
    expect(plan.stdout).toContain(`CREATE TABLE "temp".items (id INTEGER PRIMARY KEY, owner TEXT NOT NULL DEFAULT 'prod''; DROP TABLE items; --', note TEXT)`);
    const up = await project.run(['up', '--env', 'prod'], { env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'temp' } });
    expect(up.code).toBe(EXIT.ok);
    // The table went to the temp schema: nothing in main, the breakout stored as plain text.
    project.withDb((db) => {
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'items'").get()).toEqual({ n: 0 });
      expect(history(db).map((row) => row.checksum)).toEqual([checksumOf(V1)]);
    });
  });

  it('refuses an undeclared placeholder before anything runs: E_PARSE at file:line, exit 5', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    fs.writeFileSync(path.join(project.dir, 'migrator.config.yaml'), CONFIG);
    project.write('V1__items.sql', V1);
    project.write('V2__more.sql', 'SELECT 1;\nCREATE TABLE ${shema}.more (id INTEGER);\n');
    const up = await project.run(['up']);
    expect(up.code).toBe(EXIT.invalidFiles);
    expect(up.stderr).toContain('error[E_PARSE]: migrations/V2__more.sql:2: placeholder ${shema} is not declared (declared: owner, schema)');
    expect(project.dbExists()).toBe(false);
  });

  it('runs files verbatim when no placeholders: key is configured', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__t.sql', "CREATE TABLE t (v TEXT);\nINSERT INTO t VALUES ('${x}'); -- ${y}\n");
    const up = await project.run(['up']);
    expect(up.code).toBe(EXIT.ok);
    expect(project.withDb((db) => db.prepare('SELECT v FROM t').all())).toEqual([{ v: '${x}' }]);
    // Even in code, `${x}` is not looked at: validate parses the file without complaint.
    project.write('V2__code.sql', 'SELECT ${x};\n');
    expect((await project.run(['validate'])).code).toBe(EXIT.ok);
    const refused = await project.run(['validate'], { env: { MIGRATOR_PLACEHOLDER_X: '1' } });
    expect(refused.code).toBe(EXIT.config);
  });
});
