import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintMigrations, type LintFinding } from '../../src/core/lint/index.js';
import type { Migration } from '../../src/core/model.js';
import { parseMigrationFile } from '../../src/core/source/parse.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const PRESETS = { postgres: postgresSyntax, mysql: mysqlSyntax, sqlite: sqliteSyntax } as const;
type Preset = keyof typeof PRESETS;

/** A migration parsed from `text` as the loader would (parse problems are not this test's business). */
function migration(text: string, syntax: SqlSyntax = postgresSyntax, id = '1'): Migration {
  const file = `migrations/V${id}__test.sql`;
  const parsed = parseMigrationFile(file, text, syntax);
  return {
    id, kind: 'versioned', version: undefined, description: 'test', file,
    checksum: parsed.checksum, downChecksum: parsed.downChecksum,
    up: parsed.up, down: parsed.down, verify: parsed.verify, directives: parsed.directives,
  };
}

function lint(text: string, preset: Preset = 'postgres'): ReadonlyArray<LintFinding> {
  const syntax = PRESETS[preset];
  return lintMigrations([migration(text, syntax)], syntax).findings;
}

function rules(text: string, preset: Preset = 'postgres'): string[] {
  return lint(text, preset).map((f) => f.rule);
}

describe('lint rules fire on their positive examples', () => {
  it.each<[string, string, Preset?]>([
    ['drop-table', 'DROP TABLE users'],
    ['drop-table', 'drop table if exists tmp'],
    ['drop-table', 'DROP TABLE public.users CASCADE'],
    ['drop-table', 'DROP /* gone */ TABLE "Users"'],
    ['drop-table', '-- the end\nDrop Table\n  users'],
    ['drop-table', 'DROP TABLE `app`.`users`', 'mysql'],
    ['drop-table', 'DROP TABLE [users]', 'sqlite'],
    ['drop-column', 'ALTER TABLE users DROP COLUMN email'],
    ['drop-column', 'alter table public.users drop email'],
    ['drop-column', 'ALTER TABLE ONLY users DROP COLUMN IF EXISTS "Email" CASCADE'],
    ['drop-column', 'ALTER TABLE users DROP CONSTRAINT users_email_key, DROP COLUMN email'],
    ['drop-column', 'ALTER TABLE `users` DROP `email`', 'mysql'],
    ['drop-column', 'ALTER TABLE users DROP COLUMN email', 'sqlite'],
    ['truncate', 'TRUNCATE users'],
    ['truncate', 'truncate table public.users restart identity'],
    ['truncate', 'TRUNCATE ONLY users'],
    ['truncate', 'TRUNCATE TABLE `users`', 'mysql'],
    ['delete-without-where', 'DELETE FROM users'],
    ['delete-without-where', 'delete from public.users returning id'],
    ['delete-without-where', 'DELETE FROM users /* WHERE id = 1 */'],
    ['delete-without-where', 'WITH old AS (SELECT id FROM a WHERE b) DELETE FROM users'],
    ['delete-without-where', 'DELETE FROM users USING (SELECT id FROM a WHERE x) s'],
    ['delete-without-where', 'DELETE FROM `users`', 'mysql'],
    ['delete-without-where', 'DELETE FROM users', 'sqlite'],
    ['update-without-where', 'UPDATE users SET active = true'],
    ['update-without-where', "update public.users set note = 'x WHERE y'"],
    ['update-without-where', 'UPDATE users SET a = (SELECT max(b) FROM c WHERE c.id = 1)'],
    ['update-without-where', 'UPDATE LOW_PRIORITY `users` SET a = 1', 'mysql'],
    ['update-without-where', 'UPDATE OR REPLACE users SET a = 1', 'sqlite'],
    ['column-type-change', 'ALTER TABLE users ALTER COLUMN age TYPE bigint'],
    ['column-type-change', 'alter table users alter age set data type bigint using age::bigint'],
    ['column-type-change', 'ALTER TABLE users MODIFY COLUMN age BIGINT', 'mysql'],
    ['column-type-change', 'alter table users modify age bigint not null', 'mysql'],
    ['column-type-change', 'ALTER TABLE users CHANGE age age BIGINT', 'mysql'],
    ['rename', 'ALTER TABLE users RENAME TO people'],
    ['rename', 'ALTER TABLE IF EXISTS users RENAME COLUMN name TO full_name'],
    ['rename', 'alter table users rename name to full_name'],
    ['rename', 'ALTER VIEW active_users RENAME TO enabled_users'],
    ['rename', 'RENAME TABLE users TO people', 'mysql'],
    ['rename', 'ALTER TABLE users RENAME AS people', 'mysql'],
    ['rename', 'ALTER TABLE users RENAME people', 'mysql'],
    ['rename', 'ALTER TABLE users RENAME COLUMN a TO b', 'sqlite'],
    ['not-null-without-default', 'ALTER TABLE users ADD COLUMN age int NOT NULL'],
    ['not-null-without-default', 'alter table users add age integer not null references ages (id)'],
    ['not-null-without-default', 'ALTER TABLE users ADD COLUMN IF NOT EXISTS "Age" numeric(10, 2) NOT NULL'],
    ['not-null-without-default', 'ALTER TABLE users ADD age INT NOT NULL AFTER id', 'mysql'],
    ['not-null-without-default', 'ALTER TABLE users ADD COLUMN age NOT NULL', 'sqlite'],
    ['non-concurrent-index', 'CREATE INDEX users_email ON users (email)'],
    ['non-concurrent-index', 'create unique index on public.users(email)'],
    ['non-concurrent-index', 'CREATE INDEX IF NOT EXISTS users_email ON ONLY users USING btree (email)'],
    ['non-concurrent-index', 'DROP INDEX users_email'],
    ['non-concurrent-index', 'drop index if exists public.users_email'],
    ['constraint-without-not-valid', 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)'],
    ['constraint-without-not-valid', 'alter table orders add constraint positive check (total > 0)'],
    ['constraint-without-not-valid', 'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users ON DELETE CASCADE'],
    ['risky-ddl-without-lock-timeout', 'SET lock_timeout = 0'],
    ['risky-ddl-without-lock-timeout', "SET LOCAL lock_timeout TO '0'"],
    ['risky-ddl-without-lock-timeout', "set session lock_timeout = '0s'"],
    ['risky-ddl-without-lock-timeout', 'SET SESSION lock_wait_timeout = 3600', 'mysql'],
    ['risky-ddl-without-lock-timeout', 'SET @@session.lock_wait_timeout := 86400', 'mysql'],
    ['risky-ddl-without-lock-timeout', 'set lock_wait_timeout=31536000', 'mysql'],
  ])('%s: %s (%s)', (rule, sql, preset = 'postgres') => {
    expect(rules(sql, preset)).toEqual([rule]);
  });

  it('DROP TABLE of several tables is one finding per table', () => {
    expect(lint('DROP TABLE a, public.b').map((f) => f.message)).toEqual([
      expect.stringContaining('DROP TABLE a:'),
      expect.stringContaining('DROP TABLE public.b:'),
    ]);
  });

  it('MySQL CHANGE to another name is a type change and a rename', () => {
    expect(rules('ALTER TABLE users CHANGE COLUMN name full_name VARCHAR(200)', 'mysql')).toEqual(['column-type-change', 'rename']);
  });

  it('each action of one ALTER TABLE is checked', () => {
    expect(rules('ALTER TABLE users DROP COLUMN a, ADD COLUMN b int NOT NULL, ALTER COLUMN c TYPE text')).toEqual(['drop-column', 'not-null-without-default', 'column-type-change']);
  });

  it('names the table and column in the message, as written', () => {
    const [finding] = lint('ALTER TABLE app."Users" DROP COLUMN "Email"');
    expect(finding?.message).toContain('drops column "Email" of app."Users"');
  });
});

describe('lint rules stay silent on near misses', () => {
  it.each<[string, Preset?]>([
    ["SELECT 'DROP TABLE users'"],
    ["INSERT INTO log (msg) VALUES ('DELETE FROM users')"],
    ["COMMENT ON TABLE users IS 'TRUNCATE me; DROP TABLE x'"],
    ['SELECT "drop table" FROM t'],
    ['-- DROP TABLE users\nSELECT 1'],
    ['/* ALTER TABLE users DROP COLUMN email */ SELECT 1'],
    ['SELECT 1 -- DELETE FROM users'],
    ['SELECT $x$ DROP TABLE users $x$'],
    ['CREATE FUNCTION f() RETURNS void AS $$ BEGIN DELETE FROM users; END $$ LANGUAGE plpgsql'],
    ["DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$"],
    ['DELETE FROM users WHERE id < 100'],
    ['delete from users where created_at < now() - interval \'1 year\''],
    ['WITH x AS (SELECT 1) DELETE FROM users WHERE id IN (SELECT * FROM x)'],
    ['UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000'],
    ['INSERT INTO users (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET name = excluded.name'],
    ['CREATE INDEX CONCURRENTLY users_email ON users (email)'],
    ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email)'],
    ['DROP INDEX CONCURRENTLY users_email'],
    ['ALTER TABLE users ADD COLUMN x int NOT NULL DEFAULT 0'],
    ['ALTER TABLE users ADD COLUMN x int DEFAULT 0 NOT NULL'],
    ['ALTER TABLE users ADD COLUMN x int'],
    ['ALTER TABLE users ADD COLUMN x int CHECK (x IS NOT NULL)'],
    ['ALTER TABLE users ADD COLUMN id bigserial NOT NULL'],
    ['ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY NOT NULL'],
    ['ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID'],
    ['ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID'],
    ['ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk'],
    ['ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code)'],
    ['ALTER TABLE users ALTER COLUMN name SET DEFAULT \'x\''],
    ['ALTER TABLE users ALTER COLUMN name DROP DEFAULT'],
    ['ALTER TABLE users ALTER COLUMN name DROP NOT NULL'],
    ['ALTER TABLE users DROP CONSTRAINT users_fk'],
    ['ALTER TABLE users RENAME CONSTRAINT a TO b'],
    ['ALTER TABLE users DROP INDEX users_email, DROP PRIMARY KEY, DROP FOREIGN KEY fk', 'mysql'],
    ['ALTER TABLE users RENAME INDEX a TO b', 'mysql'],
    ['CREATE TABLE t (id int NOT NULL, CONSTRAINT fk FOREIGN KEY (id) REFERENCES u (id))'],
    ['DROP VIEW old_users'],
    ['DROP TEMPORARY TABLE tmp', 'mysql'],
    ['SET lock_timeout = 5000'],
    ["SET lock_timeout = '10s'"],
    ['SET statement_timeout = 0'],
    ['SET SESSION lock_wait_timeout = 30', 'mysql'],
    ['CREATE TRIGGER trg AFTER INSERT ON a BEGIN DELETE FROM b; END', 'sqlite'],
  ])('%s (%s)', (sql, preset = 'postgres') => {
    expect(rules(sql, preset)).toEqual([]);
  });

  it('tables created earlier in the same script have no rows or users yet', () => {
    const sql = [
      'CREATE TABLE t (id int);',
      'CREATE INDEX t_id ON t (id);',
      'ALTER TABLE t ADD COLUMN a int NOT NULL, ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);',
      'UPDATE t SET a = 1;',
      'ALTER TABLE public.t RENAME TO t2;',
    ].join('\n');
    expect(rules(sql)).toEqual([]);
  });

  it('but not when CREATE TABLE IF NOT EXISTS may have found it there, nor before it is created', () => {
    expect(rules('DROP TABLE t;\nCREATE TABLE t (id int);')).toEqual(['drop-table']);
    expect(rules('CREATE TABLE IF NOT EXISTS t (id int);\nCREATE INDEX t_id ON t (id);')).toEqual(['non-concurrent-index']);
  });
});

describe('engine capabilities', () => {
  it.each<Preset>(['mysql', 'sqlite'])('PostgreSQL-only rules are silent with the %s preset', (preset) => {
    for (const sql of [
      'CREATE INDEX users_email ON users (email)',
      'DROP INDEX users_email',
      'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)',
      'ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)',
    ]) expect(rules(sql, preset), sql).toEqual([]);
  });

  it('the DROP INDEX finding says to drop it concurrently', () => {
    expect(lint('DROP INDEX i')[0]?.hint).toMatch(/^DROP INDEX CONCURRENTLY/);
    expect(lint('CREATE INDEX i ON t (a)')[0]?.hint).toMatch(/^CREATE INDEX CONCURRENTLY/);
  });
});

describe('findings', () => {
  it('carry the migration, file, statement position, excerpt, risk and hint', () => {
    expect(lint('SELECT 1;\n\n  DROP   TABLE\n users;')).toEqual([{
      rule: 'drop-table',
      risk: 'dangerous',
      migration: '1',
      file: 'migrations/V1__test.sql',
      line: 3,
      column: 3,
      statement: 'DROP TABLE users',
      message: 'DROP TABLE users: the table and its data are gone, and code still using it fails',
      hint: LINT_RULES.find((r) => r.name === 'drop-table')?.hint,
      allowed: false,
    }]);
  });

  it('come from the up script only, at their line in the file', () => {
    const found = lint('-- migrate:up\nSELECT 1;\nDROP TABLE x;\n-- migrate:down\nDROP TABLE y;\nTRUNCATE z;');
    expect(found.map((f) => [f.rule, f.line, f.statement])).toEqual([['drop-table', 3, 'DROP TABLE x']]);
  });

  it('are in migration order, then statement order, and only for the migrations asked for', () => {
    const syntax = postgresSyntax;
    const migrations = [migration('TRUNCATE a;\nDROP TABLE b;', syntax, '1'), migration('DELETE FROM c;', syntax, '2')];
    expect(lintMigrations(migrations, syntax).findings.map((f) => `${f.migration}:${f.rule}`)).toEqual(['1:truncate', '1:drop-table', '2:delete-without-where']);
    expect(lintMigrations(migrations, syntax, { only: new Set(['2']) }).findings.map((f) => f.migration)).toEqual(['2']);
    expect(lintMigrations([], syntax).findings).toEqual([]);
  });

  it('have the risk of their rule', () => {
    const risks = Object.fromEntries(lint('DROP TABLE a;\nALTER TABLE b RENAME TO c;\nCREATE INDEX i ON d (x);').map((f) => [f.rule, f.risk]));
    expect(risks).toEqual({ 'drop-table': 'dangerous', rename: 'careful', 'non-concurrent-index': 'careful' });
  });
});

describe('-- migrate:allow', () => {
  it('marks the findings of the named rules allowed, and only those', () => {
    const found = lint('-- migrate:allow drop-table, truncate\nDROP TABLE a;\nTRUNCATE b;\nDELETE FROM c;');
    expect(found.map((f) => [f.rule, f.allowed])).toEqual([['drop-table', true], ['truncate', true], ['delete-without-where', false]]);
  });

  it('reports an unknown rule name (a typo allows nothing)', () => {
    const found = lint('-- migrate:allow drop-tabel\nDROP TABLE a;');
    expect(found.map((f) => [f.rule, f.risk, f.allowed, f.line])).toEqual([['unknown-allow', 'careful', false, 1], ['drop-table', 'dangerous', false, 2]]);
    expect(found[0]?.message).toContain('drop-tabel');
  });

  it('cannot silence unknown-allow itself', () => {
    expect(lint('-- migrate:allow unknown-allow, nope\nSELECT 1;').map((f) => [f.rule, f.allowed])).toEqual([['unknown-allow', false]]);
  });
});

describe('multi-statement-transaction-off', () => {
  it('fires for a "transaction off" file with several statements, at its first statement', () => {
    const found = lint('-- migrate:transaction off\nCREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);');
    expect(found.map((f) => [f.rule, f.risk, f.line])).toEqual([['multi-statement-transaction-off', 'careful', 2]]);
  });

  it('also for dbmate\'s marker option', () => {
    expect(rules('-- migrate:up transaction:false\nSELECT 1;\nSELECT 2;')).toEqual(['multi-statement-transaction-off']);
  });

  it('not when the file runs outside a transaction by itself, nor for one statement', () => {
    expect(rules('CREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);')).toEqual([]);
    expect(rules('-- migrate:transaction off\nCREATE INDEX CONCURRENTLY a ON t (x);')).toEqual([]);
  });
});

describe('LINT_RULES', () => {
  it('lists each rule once, in kebab-case, with a risk, description and hint', () => {
    const names = LINT_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of LINT_RULES) {
      expect(entry.name).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      expect(['safe', 'careful', 'dangerous']).toContain(entry.risk);
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.hint).toMatch(/\.$/);
    }
  });

  it('matches the rules of DESIGN.md with their risk classes', () => {
    expect(Object.fromEntries(LINT_RULES.map((r) => [r.name, r.risk]))).toEqual({
      'drop-table': 'dangerous',
      'drop-column': 'dangerous',
      truncate: 'dangerous',
      'delete-without-where': 'dangerous',
      'update-without-where': 'dangerous',
      'column-type-change': 'dangerous',
      rename: 'careful',
      'not-null-without-default': 'dangerous',
      'non-concurrent-index': 'careful',
      'constraint-without-not-valid': 'careful',
      'risky-ddl-without-lock-timeout': 'careful',
      'multi-statement-transaction-off': 'careful',
      'unknown-allow': 'careful',
    });
  });
});
