/**
 * `migrate lint` as a CI job runs it: files only, no database touched, exit 5 on a dangerous
 * operation nobody accepted, exit 0 for careful ones and for what `-- migrate:allow` accepts.
 */
import { describe, it } from 'vitest';
import { EXIT, Project, jsonDoc, unexpectedStderr } from './helpers.js';

interface LintDoc {
  ok: boolean;
  engine: string;
  files: number;
  findings: Array<{ rule: string; risk: string; migration: string; file: string; line: number; column: number; statement: string; message: string; hint: string; allowed: boolean }>;
  counts: { dangerous: number; careful: number; allowed: number };
}

const CREATE_USERS = 'CREATE TABLE users (id integer PRIMARY KEY, email text);\n';

describe.concurrent('migrate lint', () => {
  it('fails with exit 5 on a dangerous operation, naming the rule, file:line and the alternative', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', CREATE_USERS);
    project.write('V2__drop_users.sql', '-- users moved to the accounts service\nSELECT 1;\nDROP TABLE users;\n');

    const result = await project.run(['lint']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    expect(result.stdout).toMatch(/^dangerous {2}drop-table {2}migrations\/V2__drop_users\.sql:3 {2}DROP TABLE users: /m);
    expect(result.stdout).toContain('  hint: Expand/contract: stop using the table in a release first');
    expect(result.stdout).toContain('2 migration files linted with the SQLite rules: 1 dangerous, 0 careful, 0 allowed.');
    expect(result.stderr).toContain('error[E_LINT]: migrations/V2__drop_users.sql:3: drop-table: DROP TABLE users');
    expect(result.stderr).toContain('  at: migrations/V2__drop_users.sql:3:1');
    expect(result.stderr).toContain('-- migrate:allow drop-table');
    expect(unexpectedStderr(result.stderr)).toEqual([]);
    expect(project.dbExists()).toBe(false);
  });

  it('passes when the file allows the rule, and says so', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', CREATE_USERS);
    project.write('V2__drop_users.sql', '-- migrate:allow drop-table\nDROP TABLE users;\n');

    const result = await project.run(['lint']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^dangerous {2}drop-table {2}migrations\/V2__drop_users\.sql:2 {2}DROP TABLE users: .* \(allowed\)$/m);
    expect(result.stdout).toContain('0 dangerous, 0 careful, 1 allowed.');
    expect(unexpectedStderr(result.stderr)).toEqual([]);
  });

  it('passes with careful findings, printing them', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', CREATE_USERS);
    project.write('V2__rename_users.sql', 'ALTER TABLE users RENAME TO people;\n');

    const result = await project.run(['lint']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^careful {4}rename {2}migrations\/V2__rename_users\.sql:1 {2}renames table users to people: /m);
    expect(result.stdout).toContain('  hint: Expand/contract: add the new name');
    expect(result.stdout).toContain('0 dangerous, 1 careful, 0 allowed.');
    expect(result.stderr).not.toContain('error[');
  });

  it('says OK when nothing is risky', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', CREATE_USERS);
    project.write('V2__delete_some.sql', "DELETE FROM users WHERE email LIKE '%@example.com'; -- not DROP TABLE users\n");

    const result = await project.run(['lint']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toBe('OK: 2 migration files linted with the SQLite rules, no risky operations found.\n');
  });

  it('--json prints one document with every finding and the counts', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users.sql', CREATE_USERS);
    project.write('V2__cleanup.sql', '-- migrate:allow truncate\nTRUNCATE users;\nDELETE FROM users;\nALTER TABLE users RENAME COLUMN email TO mail;\n');

    const result = await project.run(['lint', '--json']);
    expect(result.code, result.stderr).toBe(EXIT.invalidFiles);
    const doc = jsonDoc<LintDoc>(result.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.engine).toBe('SQLite');
    expect(doc.counts).toEqual({ dangerous: 1, careful: 1, allowed: 1 });
    expect(doc.findings.map((f) => [f.rule, f.risk, f.line, f.allowed])).toEqual([
      ['truncate', 'dangerous', 2, true],
      ['delete-without-where', 'dangerous', 3, false],
      ['rename', 'careful', 4, false],
    ]);
    expect(doc.findings[1]).toMatchObject({ migration: '2', file: 'migrations/V2__cleanup.sql', column: 1, statement: 'DELETE FROM users' });
    expect(doc.findings[1]?.hint).toMatch(/batches/);
    expect(result.stderr).toContain('error[E_LINT]');
  });

  it('applies the PostgreSQL rules for a postgres URL without connecting to it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__users_email.sql', 'CREATE INDEX users_email ON users (email);\n');
    project.write('V2__orders_fk.sql', 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n');

    // Port 1 refuses connections: a lint that tried to connect would fail with exit 4.
    const result = await project.run(['lint', '--json', '--url', 'postgres://nobody@127.0.0.1:1/app']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<LintDoc>(result.stdout);
    expect(doc).toMatchObject({ ok: true, engine: 'PostgreSQL', counts: { dangerous: 0, careful: 1, allowed: 0 } });
    expect(doc.findings.map((f) => f.rule)).toEqual(['non-concurrent-index']);
    expect(doc.findings[0]?.hint).toContain('CREATE INDEX CONCURRENTLY');
  });

  it('--rules lists every rule with its risk and hint', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    const text = await project.run(['lint', '--rules']);
    expect(text.code, text.stderr).toBe(EXIT.ok);
    expect(text.stdout).toMatch(/^dangerous {2}drop-table +DROP TABLE/m);
    expect(text.stdout).toMatch(/^careful {4}non-concurrent-index +CREATE INDEX/m);

    const json = await project.run(['lint', '--rules', '--json']);
    expect(json.code, json.stderr).toBe(EXIT.ok);
    const doc = jsonDoc<{ ok: boolean; rules: Array<{ name: string; risk: string; hint: string }> }>(json.stdout);
    expect(doc.rules.map((r) => r.name)).toContain('unknown-allow');
    expect(doc.rules.every((r) => r.hint.length > 0)).toBe(true);
  });

  it('reports invalid files rather than linting around them', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__broken.sql', "SELECT 'unterminated;\n");
    const result = await project.run(['lint']);
    expect(result.code).toBe(EXIT.invalidFiles);
    expect(result.stderr).toContain('error[E_PARSE]');
  });
});

describe.concurrent('validate runs the linter over pending migrations', () => {
  it('fails (exit 5, E_LINT) on a pending unacknowledged DROP TABLE, not once it is applied; allow acknowledges it', async ({ expect, onTestFinished }) => {
    const project = new Project({ onTestFinished });
    project.write('V1__t.sql', 'CREATE TABLE t (x INTEGER);\n');
    project.write('V2__drop.sql', 'DROP TABLE t;\n');
    const gate = await project.run(['validate']);
    expect(gate.code, gate.stderr).toBe(EXIT.invalidFiles);
    expect(gate.stderr).toMatch(/^error\[E_LINT\]: migrations\/V2__drop\.sql:1: drop-table: /m);
    expect(gate.stderr).toMatch(/hint: .*-- migrate:allow drop-table/);

    project.write('V2__drop.sql', '-- migrate:allow drop-table\nDROP TABLE t;\n');
    expect((await project.run(['validate'])).code).toBe(EXIT.ok);
    // Once applied it is history: the allow may go, and validate stays green.
    expect((await project.run(['up'])).code).toBe(EXIT.ok);
    project.write('V2__drop.sql', 'DROP TABLE t;\n');
    expect((await project.run(['repair'])).code).toBe(EXIT.ok);
    const after = await project.run(['validate', '--json']);
    expect(after.code, after.stderr).toBe(EXIT.ok);
  });
});
