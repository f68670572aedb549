import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isNonTransactional, scanStatements } from '../../src/core/source/scanner.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const goldenDir = fileURLToPath(new URL('../golden/scanner/', import.meta.url));
const dialects: ReadonlyArray<readonly [string, SqlSyntax]> = [
  ['postgres', postgresSyntax],
  ['mysql', mysqlSyntax],
  ['sqlite', sqliteSyntax],
];

interface Golden {
  readonly statements: ReadonlyArray<{ readonly sql: string; readonly line: number; readonly column: number }>;
  readonly error: { readonly message?: string; readonly line: number; readonly column: number } | null;
}

/** Cases named `*-crlf` are stored with LF (git may rewrite line ends) and scanned with CRLF. */
function readCase(dir: string, name: string): { text: string; expected: Golden } {
  const raw = readFileSync(`${dir}/${name}.sql`, 'utf8');
  const text = name.endsWith('-crlf') ? raw.replace(/\r?\n/g, '\r\n') : raw;
  const expected = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8')) as Golden;
  return { text, expected };
}

describe.each(dialects)('golden files: %s', (dialect, syntax) => {
  const dir = `${goldenDir}${dialect}`;
  const cases = readdirSync(dir).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -'.sql'.length)).sort();

  it('has at least 12 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)('%s', (name) => {
    const { text, expected } = readCase(dir, name);
    const result = scanStatements(text, syntax);
    expect(result.pieces.join('')).toBe(text);
    expect(result.statements).toEqual(expected.statements);
    if (expected.error === null) {
      expect(result.error).toBeUndefined();
    } else {
      expect(result.error).toMatchObject(expected.error);
    }
  });
});

describe('scanStatements', () => {
  it('offsets lines by options.line, for statements and errors', () => {
    const result = scanStatements('SELECT 1;\n  SELECT 2;\nSELECT \'open', postgresSyntax, { line: 40 });
    expect(result.statements).toEqual([
      { sql: 'SELECT 1', line: 40, column: 1 },
      { sql: 'SELECT 2', line: 41, column: 3 },
    ]);
    expect(result.error).toEqual({ message: 'unterminated string literal', line: 42, column: 8 });
  });

  it('returns nothing for empty or blank text', () => {
    for (const text of ['', ' ', '\r\n\r\n', ';', ' ;\n;']) {
      const result = scanStatements(text, sqliteSyntax);
      expect(result.statements).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.pieces.join('')).toBe(text);
    }
  });

  it('cuts pieces after each delimiter and around DELIMITER lines', () => {
    const text = 'SELECT 1; SELECT 2;\nDELIMITER //\nSELECT 3//\n-- end';
    expect(scanStatements(text, mysqlSyntax).pieces).toEqual(
      ['SELECT 1;', ' SELECT 2;', '\n', 'DELIMITER //\n', 'SELECT 3//', '\n-- end'],
    );
  });

  it('ends a pending statement at a DELIMITER line, and ignores a DELIMITER without a token', () => {
    const result = scanStatements('SELECT 1\nDELIMITER //\nSELECT 2//\nDELIMITER\nSELECT 3//', mysqlSyntax);
    expect(result.statements.map((s) => s.sql)).toEqual(['SELECT 1', 'SELECT 2', 'DELIMITER\nSELECT 3']);
  });

  it('leaves compound bodies to an explicit delimiter other than ;', () => {
    const text = 'DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\nCREATE PROCEDURE q() BEGIN SELECT 1; END;';
    expect(scanStatements(text, mysqlSyntax).statements.map((s) => s.sql)).toEqual([
      'CREATE PROCEDURE p() BEGIN SELECT 1; END',
      'CREATE PROCEDURE q() BEGIN SELECT 1; END',
    ]);
  });

  it('does not take BEGIN in a CREATE TRIGGER header for the body', () => {
    const text = 'CREATE TRIGGER t AFTER INSERT ON x WHEN (SELECT begin FROM y) BEGIN SELECT 1; END; SELECT 2;';
    expect(scanStatements(text, sqliteSyntax).statements.map((s) => s.sql)).toEqual([
      'CREATE TRIGGER t AFTER INSERT ON x WHEN (SELECT begin FROM y) BEGIN SELECT 1; END',
      'SELECT 2',
    ]);
  });

  it('handles a large generated file', () => {
    const sql = "INSERT INTO t (id, name, note) VALUES (1, 'it''s a name', 'x;y')";
    const row = `${sql}; -- row\n`;
    const text = row.repeat(Math.ceil((5 * 1024 * 1024) / row.length));
    const result = scanStatements(text, mysqlSyntax);
    const count = text.length / row.length;
    expect(result.error).toBeUndefined();
    expect(result.statements).toHaveLength(count);
    expect(result.statements[count - 1]).toEqual({ sql, line: count, column: 1 });
  });
});

describe('isNonTransactional', () => {
  it('matches the engine patterns after leading comments and whitespace', () => {
    expect(isNonTransactional('-- build it online\n/* really */ CREATE INDEX CONCURRENTLY i ON t (a)', postgresSyntax)).toBe(true);
    expect(isNonTransactional('create unique index concurrently i on t (a)', postgresSyntax)).toBe(true);
    expect(isNonTransactional('CREATE INDEX i ON t (a)', postgresSyntax)).toBe(false);
    expect(isNonTransactional("SELECT 'VACUUM'", postgresSyntax)).toBe(false);
    expect(isNonTransactional('VACUUM', sqliteSyntax)).toBe(true);
    expect(isNonTransactional('PRAGMA foreign_keys = OFF', sqliteSyntax)).toBe(true);
    expect(isNonTransactional('PRAGMA user_version = 3', sqliteSyntax)).toBe(false);
    expect(isNonTransactional('CREATE DATABASE x', mysqlSyntax)).toBe(false);
  });

  it('is false for text that is only comments, or an unterminated one', () => {
    expect(isNonTransactional('-- VACUUM', sqliteSyntax)).toBe(false);
    expect(isNonTransactional('/* VACUUM', postgresSyntax)).toBe(false);
    expect(isNonTransactional('', postgresSyntax)).toBe(false);
  });
});
