import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanStatements } from '../../src/core/source/scanner.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const RUNS = 2000;

const presets: ReadonlyArray<readonly [string, SqlSyntax]> = [
  ['postgres', postgresSyntax],
  ['mysql', mysqlSyntax],
  ['sqlite', sqliteSyntax],
];

/** Pieces of SQL that open, close or confuse the scanner's constructs. */
const soupTokens = [
  "'", "''", '"', '`', '[', ']', '$$', '$a$', '$1', 'a$', '--', '-- ', '--1', '/*', '*/', '/*!', '/*M!', '#', ';', ';;',
  'BEGIN', 'begin', 'END', 'end', 'CASE', 'IF', 'LOOP', 'ATOMIC', 'NOT', 'CREATE', 'CREATE TRIGGER', 'TEMP',
  'CREATE PROCEDURE', 'CREATE FUNCTION', 'CREATE EVENT', 'DEFINER=x@y', 'lbl:', 'END IF', 'END CASE',
  'DELIMITER //', 'DELIMITER ;', 'DELIMITER $$', 'delimiter', '//', '$$;', '\n', '\r\n', '\r', ' ', '\t', '\\', "\\'",
  "E'", "e'", 'x', 'foo', 'end_date', '(', ')', '1', 'é', '\u00a0', '\u2028', '😀', '\u0000',
];
const soup = fc.array(fc.constantFrom(...soupTokens), { maxLength: 60 }).map((parts) => parts.join(''));
const anyText = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }));

/** Offset of the 1-based line/column in `text`, lines counted by `\n`. */
function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return -1;
    start = nl + 1;
  }
  return start + column - 1;
}

function checkScan(text: string, syntax: SqlSyntax): void {
  const result = scanStatements(text, syntax);
  expect(result.pieces.join('')).toBe(text);
  let previousEnd = -1;
  for (const statement of result.statements) {
    const at = offsetOf(text, statement.line, statement.column);
    expect(statement.column).toBeGreaterThanOrEqual(1);
    expect(at).toBeGreaterThan(previousEnd - 1);
    expect(text.startsWith(statement.sql, at)).toBe(true);
    expect(statement.sql.length).toBeGreaterThan(0);
    expect(statement.sql.trim()).toBe(statement.sql);
    previousEnd = at + statement.sql.length;
  }
  if (result.error) {
    const at = offsetOf(text, result.error.line, result.error.column);
    expect(at).toBeGreaterThanOrEqual(previousEnd);
    expect(at).toBeLessThan(text.length);
    expect(result.error.message).toMatch(/^unterminated /);
  }
}

describe.each(presets)('scanStatements properties: %s', (_name, syntax) => {
  it('keeps its invariants on arbitrary strings', () => {
    fc.assert(fc.property(anyText, (text) => checkScan(text, syntax)), { numRuns: RUNS });
  });

  it('keeps its invariants on SQL-ish token soup', () => {
    fc.assert(fc.property(soup, (text) => checkScan(text, syntax)), { numRuns: RUNS });
  });

  it('finds the same statements when each is scanned alone', () => {
    fc.assert(fc.property(soup, (text) => {
      const result = scanStatements(text, syntax);
      if (result.error || text.toLowerCase().includes('delimiter')) return;
      for (const statement of result.statements) {
        // MySQL's `--;` is minus minus, but a `--` that ends the text is a comment (the server agrees).
        if (syntax.dashCommentNeedsSpace && statement.sql.endsWith('--')) continue;
        expect(scanStatements(statement.sql, syntax).statements.map((s) => s.sql)).toEqual([statement.sql]);
      }
    }), { numRuns: RUNS });
  });
});
