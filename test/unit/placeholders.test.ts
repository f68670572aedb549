/**
 * Placeholders (issue 7 item 6): quoting per dialect, the injection corpus (every payload on every
 * dialect and kind is either rendered as one token with the statement count unchanged, or
 * rejected), undeclared names, text inside quotes and comments, and the parser's use of them
 * (checksums of the raw file, placeholders off = verbatim).
 */
import { describe, expect, it } from 'vitest';
import { parseMigrationFile } from '../../src/core/source/parse.js';
import { quoteIdentifier, quoteLiteral, renderStatement, type PlaceholderKind, type Placeholders } from '../../src/core/source/placeholders.js';
import { scanStatements } from '../../src/core/source/scanner.js';
import { Lexer } from '../../src/core/source/scanner-lexer.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const dialects: ReadonlyArray<readonly [string, SqlSyntax]> = [
  ['postgres', postgresSyntax],
  ['mysql', mysqlSyntax],
  ['sqlite', sqliteSyntax],
];

const render = (sql: string, placeholders: Placeholders, syntax: SqlSyntax) => renderStatement({ sql, line: 3, column: 1 }, placeholders, syntax, 'V1__t.sql');

/** Reads a rendered string literal back as the engine would (default modes). */
function unquoteLiteral(text: string, syntax: SqlSyntax): string {
  const escaped = text.startsWith("E'");
  const body = text.slice(escaped ? 2 : 1, -1);
  if (escaped || syntax.backslashEscapes) return body.replace(/\\(.)|''/gs, (m, c: string | undefined) => (c ?? "'"));
  return body.replace(/''/g, "'");
}

const CORPUS: ReadonlyArray<string> = [
  "'; DROP TABLE x; --",
  "O'Brien",
  "''",
  "\\'; DROP TABLE x; --",
  "\\",
  "a\\",
  "$$; DROP TABLE x; $$",
  "$tag$ DROP TABLE x; $tag$",
  '$1',
  '/* open',
  '*/ DROP TABLE x; /*',
  '-- rest',
  '# rest',
  'a"; DROP TABLE b; --',
  'a`; DROP TABLE b; --',
  'a]; DROP TABLE b; --',
  'line1\nline2',
  "x'\n; DROP TABLE y; --",
  'nul\0byte',
  '${other}',
  ';',
  'DELIMITER //',
  '1; DROP TABLE x',
  '1 OR 1=1',
  'E\'\\\'',
  '/*!50000 DROP TABLE x */',
  'app',
  'app.users',
];

const TEMPLATES: ReadonlyArray<readonly [string, string]> = [
  ['SELECT ', ' FROM t'],
  ['INSERT INTO t (a) VALUES (', ')'],
  ['CREATE TABLE ', ' (id int)'],
  ["SELECT 'a' || ", " -- tail"],
];

describe('the injection corpus', () => {
  for (const [dialect, syntax] of dialects) {
    for (const kind of ['identifier', 'literal', 'raw'] as const) {
      it.each(CORPUS)(`${dialect} ${kind}: %j is rendered as one token or rejected`, (payload) => {
        for (const [before, after] of TEMPLATES) {
          const result = render(`${before}\${p}${after}`, { p: { kind, value: payload } }, syntax);
          if (!result.ok) {
            expect(result.problem.code).toBe('E_PARSE');
            expect(result.problem.message).toMatch(/^V1__t\.sql:3: /);
            expect(result.problem.message).toContain('${p}');
            continue;
          }
          const sql = result.statement.sql;
          expect(sql.startsWith(before) && sql.endsWith(after)).toBe(true);
          const scan = scanStatements(sql, syntax);
          expect(scan.error).toBeUndefined();
          expect(scan.statements).toHaveLength(1);
          const value = sql.slice(before.length, sql.length - after.length);
          // Lexed after the SQL before it (as in the statement), so position 0 is not a line start.
          const tokens: string[] = [];
          const lexer = new Lexer(`x${value}`, syntax);
          for (let pos = 1; pos < value.length + 1;) {
            const tok = lexer.next(pos);
            tokens.push(tok.kind);
            pos = tok.end;
          }
          if (kind === 'raw') {
            // Raw text may hold complete strings, never a delimiter, comment or open quote.
            expect(value).toBe(payload);
            expect(tokens.filter((t) => !['word', 'other', 'space', 'quoted'].includes(t))).toEqual([]);
            continue;
          }
          if (kind === 'literal') {
            expect(tokens).toEqual(['quoted']);
            expect(unquoteLiteral(value, syntax)).toBe(payload);
          } else {
            expect(tokens.every((t, i) => (i % 2 === 0 ? t === 'quoted' : t === 'other'))).toBe(true);
            expect(payload).toMatch(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/);
          }
        }
      });
    }
  }

  it('renders every literal payload except NUL (quoting, not refusing, is the literal contract)', () => {
    for (const [, syntax] of dialects) {
      for (const payload of CORPUS.filter((p) => !p.includes('\0'))) {
        expect(render('SELECT ${p}', { p: { kind: 'literal', value: payload } }, syntax).ok).toBe(true);
      }
    }
  });
});

describe('quoting per dialect', () => {
  it('quotes identifiers with the engine quote, part by part', () => {
    expect(quoteIdentifier('app.users', postgresSyntax)).toBe('"app"."users"');
    expect(quoteIdentifier('app', sqliteSyntax)).toBe('"app"');
    expect(quoteIdentifier('app.users', mysqlSyntax)).toBe('`app`.`users`');
  });

  it.each([
    ['postgres', postgresSyntax, "O'Brien", "'O''Brien'"],
    ['postgres', postgresSyntax, 'a\\b', "E'a\\\\b'"],
    ['mysql', mysqlSyntax, "O'Brien", "'O''Brien'"],
    ['mysql', mysqlSyntax, "a\\'b", "'a\\\\''b'"],
    ['sqlite', sqliteSyntax, 'a\\b', "'a\\b'"],
  ] as const)('%s literal %j -> %s', (_d, syntax, value, expected) => {
    expect(quoteLiteral(value, syntax)).toBe(expected);
  });
});

describe('renderStatement', () => {
  const declared: Placeholders = { schema: { kind: 'identifier', value: 'app' }, owner: { kind: 'literal', value: "O'Brien" }, suffix: { kind: 'raw', value: '_v2' } };

  it('substitutes each kind in code', () => {
    const result = render('CREATE TABLE ${schema}.t${suffix} (owner text DEFAULT ${owner})', declared, postgresSyntax);
    expect(result).toMatchObject({ ok: true, statement: { sql: `CREATE TABLE "app".t_v2 (owner text DEFAULT 'O''Brien')`, line: 3 } });
  });

  it('leaves ${...} inside strings, quoted identifiers, dollar quotes and comments as written', () => {
    const sql = "SELECT '${owner}', \"${schema}\", $$ ${undeclared} $$ /* ${nope} */ -- ${x}\n FROM ${schema}.t";
    const result = render(sql, declared, postgresSyntax);
    expect(result).toMatchObject({ ok: true, statement: { sql: sql.replace('FROM ${schema}', 'FROM "app"') } });
  });

  it('rejects an undeclared name in code, at its line, naming the declared ones', () => {
    const result = render('SELECT 1\nFROM ${shema}.t', declared, sqliteSyntax);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toMatchObject({ code: 'E_PARSE', at: { file: 'V1__t.sql', line: 4 } });
    expect(result.problem.message).toBe('V1__t.sql:4: placeholder ${shema} is not declared (declared: owner, schema, suffix)');
  });

  it.each(['SELECT ${1x}', 'SELECT ${', 'SELECT ${a b}', 'SELECT ${}'])('rejects the malformed %j', (sql) => {
    const result = render(sql, declared, mysqlSyntax);
    expect(result.ok ? '' : result.problem.message).toMatch(/is not a placeholder/);
  });

  it('rejects a raw value that would become a comment together with the SQL before it (MySQL "-- ")', () => {
    const result = render('SELECT 1 --${p}', { p: { kind: 'raw', value: ' 1' } }, mysqlSyntax);
    expect(result.ok).toBe(false);
  });

  it('rejects a raw value that opens a dollar quote', () => {
    expect(render('SELECT ${p} FROM t', { p: { kind: 'raw', value: '$a$' } }, postgresSyntax).ok).toBe(false);
  });
});

describe('parseMigrationFile with placeholders', () => {
  const text = '-- migrate:up\nCREATE TABLE ${schema}.t (owner text DEFAULT ${owner});\n-- migrate:down\nDROP TABLE ${schema}.t;\n';
  const values = (schema: string, owner: string): Placeholders => ({ schema: { kind: 'identifier', value: schema }, owner: { kind: 'literal', value: owner } });

  it('renders up and down; the checksums are those of the raw file, whatever the values', () => {
    const a = parseMigrationFile('V1__t.sql', text, postgresSyntax, values('app', 'x'));
    const b = parseMigrationFile('V1__t.sql', text, postgresSyntax, values('other', "y'z"));
    const off = parseMigrationFile('V1__t.sql', text, postgresSyntax);
    expect(a.problems).toEqual([]);
    expect(a.up.statements[0]?.sql).toBe(`CREATE TABLE "app".t (owner text DEFAULT 'x')`);
    expect(b.down?.statements[0]?.sql).toBe('DROP TABLE "other".t');
    expect([a.checksum, a.downChecksum]).toEqual([b.checksum, b.downChecksum]);
    expect([a.checksum, a.downChecksum]).toEqual([off.checksum, off.downChecksum]);
  });

  it('runs ${...} verbatim when placeholders are off', () => {
    const off = parseMigrationFile('V1__t.sql', 'SELECT ${x};\n', sqliteSyntax);
    expect(off.problems).toEqual([]);
    expect(off.up.statements[0]?.sql).toBe('SELECT ${x}');
  });

  it('reports an undeclared name as E_PARSE at file:line when placeholders are on, even with none declared', () => {
    const parsed = parseMigrationFile('V1__t.sql', 'SELECT 1;\n\nSELECT ${x};\n', sqliteSyntax, {});
    expect(parsed.problems).toMatchObject([{ code: 'E_PARSE', message: 'V1__t.sql:3: placeholder ${x} is not declared (declared: none)' }]);
  });
});

const kinds: ReadonlyArray<PlaceholderKind> = ['identifier', 'literal', 'raw'];
describe('values the kind refuses', () => {
  it.each(kinds)('%s: a NUL is refused', (kind) => {
    expect(render('SELECT ${p}', { p: { kind, value: 'a\0b' } }, sqliteSyntax).ok).toBe(false);
  });
});
