import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../src/core/model.js';
import { checksumOf, normaliseText } from '../../src/core/source/checksum.js';
import { scanStatements } from '../../src/core/source/scanner.js';
import { streamStatements } from '../../src/core/source/stream.js';
import type { SqlSyntax } from '../../src/core/source/syntax.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const RUNS = 700;

const presets: ReadonlyArray<readonly [string, SqlSyntax]> = [
  ['postgres', postgresSyntax],
  ['mysql', mysqlSyntax],
  ['sqlite', sqliteSyntax],
];

/** What opens, closes or confuses the scanner's constructs, COPY blocks included. */
const soupTokens = [
  "'", "''", '"', '`', '[', ']', '$$', '$a$', '$1', 'a$', '--', '-- ', '--1', '/*', '*/', '/*!', '#', ';', ';;',
  'BEGIN', 'END', 'end', 'CASE', 'ATOMIC', 'CREATE TRIGGER', 'CREATE PROCEDURE', 'CREATE FUNCTION', 'END IF',
  'DELIMITER //', 'DELIMITER ;', 'DELIMITER $$', '\n  delimiter ;;\n', 'delimiter', '//', '$$;', '\n', '\r\n', '\r',
  ' ', '\t', '\\', "\\'", "E'", 'xE', 'x', 'foo', '(', ')', '1', '-1', '/', 'é', '\u00a0', '\u2028', '😀', '\ufeff',
  'INSERT INTO t VALUES ', "(1, 'a;b', \"c\")", ', ', 'COPY t FROM stdin;', 'COPY t (a) FROM STDIN WITH (FORMAT csv);\n',
  'copy', ' from ', 'stdin', '\\.', '\n\\.\n', '\\.\r\n', '1\tx\n', '\\N',
];
const soup = fc.array(fc.constantFrom(...soupTokens), { maxLength: 70 }).map((parts) => parts.join(''));

/** Statements around a well-formed COPY block, so the data path is taken often. */
const copyFile = fc
  .tuple(soup, fc.array(fc.constantFrom('1\tone\n', "2\tit's\n", '3\t$$ -- x\n', '\\N\t;\n', 'é😀\r\n', '\\.x\n'), { maxLength: 8 }), soup)
  .map(([before, rows, after]) => `${before};\nCOPY t (a, b) FROM stdin;\n${rows.join('')}\\.\n${after}`);

const text = fc.oneof(soup, copyFile, fc.string({ unit: 'binary', maxLength: 80 }));

/** Cuts `length` units into consecutive [start, end) ranges at random points, mostly small ones. */
const cuts = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 });
function split(length: number, sizes: ReadonlyArray<number>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let at = 0;
  for (let k = 0; at < length; k++) {
    const size = sizes[k % sizes.length] ?? 1;
    ranges.push([at, Math.min(length, at + size)]);
    at += size;
  }
  return ranges;
}

async function* chunksOf<T>(items: ReadonlyArray<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Streams `chunks`, reading every COPY block into a string, as the whole-text scanner returns it. */
async function streamed(chunks: ReadonlyArray<string | Buffer>, syntax: SqlSyntax) {
  const stream = streamStatements(chunksOf(chunks), syntax);
  const statements: Statement[] = [];
  let copyError: unknown;
  for await (const statement of stream) {
    if (statement.copyData === undefined || typeof statement.copyData === 'string') {
      statements.push(statement);
      continue;
    }
    let data = '';
    try {
      for await (const part of statement.copyData) data += part;
      statements.push({ ...statement, copyData: data });
    } catch (error) {
      copyError = error;
    }
  }
  return { statements, summary: stream.summary, copyError };
}

async function checkStream(raw: string, chunks: ReadonlyArray<string | Buffer>, syntax: SqlSyntax): Promise<void> {
  const normalised = normaliseText(raw);
  const expected = scanStatements(normalised, syntax);
  const result = await streamed(chunks, syntax);
  expect(result.statements).toEqual(expected.statements);
  expect(result.summary?.error).toEqual(expected.error);
  expect(result.summary?.statements).toBe(expected.statements.length);
  expect(result.summary?.checksum).toBe(checksumOf(normalised));
  // Only a COPY block the input ends in makes reading its data throw.
  if (result.copyError !== undefined) expect(expected.error?.message).toMatch(/COPY/);
}

describe.each(presets)('streamStatements equals scanStatements: %s', (_name, syntax) => {
  it('for any text cut into string chunks', async () => {
    await fc.assert(fc.asyncProperty(text, cuts, async (raw, sizes) => {
      await checkStream(raw, split(raw.length, sizes).map(([a, b]) => raw.slice(a, b)), syntax);
    }), { numRuns: RUNS });
  });

  it('for any text cut into Buffer chunks, multi-byte characters split included', async () => {
    await fc.assert(fc.asyncProperty(text, cuts, async (raw, sizes) => {
      const bytes = Buffer.from(raw, 'utf8');
      // Lone surrogates become U+FFFD on the way to UTF-8: compare with the text the bytes hold.
      await checkStream(bytes.toString('utf8'), split(bytes.length, sizes).map(([a, b]) => bytes.subarray(a, b)), syntax);
    }), { numRuns: RUNS });
  });

  it('for arbitrary bytes, invalid UTF-8 included', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 60 }), cuts, async (raw, sizes) => {
      const bytes = Buffer.from(raw);
      await checkStream(bytes.toString('utf8'), split(bytes.length, sizes).map(([a, b]) => bytes.subarray(a, b)), syntax);
    }), { numRuns: RUNS });
  });
});

describe('streamStatements edge chunkings', () => {
  it.each([
    ['a BOM split from the text', ['\ufeff', 'SELECT 1;\r', '\nSELECT 2']],
    ['a CR ending a chunk, its LF the next', ['SELECT 1;\r', '\r', '\n', '\nSELECT 2;']],
    ['a BOM later in the text is kept', ['SELECT 1;', '\ufeffSELECT 2;']],
    ['a surrogate pair split', ["SELECT '\ud83d", "\ude00';"]],
    ['a lone high surrogate at the end', ["SELECT 1; -- \ud83d"]],
  ])('%s', async (_label, chunks) => {
    await checkStream(chunks.join(''), chunks, postgresSyntax);
  });

  it('cuts a UTF-8 character across Buffer chunks, byte by byte', async () => {
    const raw = "SELECT 'é😀';\nCOPY t FROM stdin;\nü\t€\n\\.\n";
    const bytes = Buffer.from(raw);
    await checkStream(raw, [...bytes].map((b) => Buffer.from([b])), postgresSyntax);
  });
});
