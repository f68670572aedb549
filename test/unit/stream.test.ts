import { describe, expect, it } from 'vitest';
import { MigratorError } from '../../src/core/errors.js';
import type { Statement } from '../../src/core/model.js';
import { checksumOf } from '../../src/core/source/checksum.js';
import { scanStatements } from '../../src/core/source/scanner.js';
import { streamStatements } from '../../src/core/source/stream.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';

const DUMP = 'CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone\n2\tit\'s; $$\n\\.\nSELECT 1;\n';

/** `text` cut every `size` characters. */
function chunked(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
  return chunks;
}

/** A source that counts what was pulled from it and whether it was closed. */
function source(chunks: ReadonlyArray<string>) {
  const seen = { pulled: 0, closed: false };
  async function* generate(): AsyncGenerator<string> {
    try {
      for (const chunk of chunks) {
        seen.pulled++;
        yield chunk;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { chunks: generate(), seen };
}

async function collect(data: Statement['copyData']): Promise<string[]> {
  const parts: string[] = [];
  if (data === undefined || typeof data === 'string') throw new Error('expected streamed COPY data');
  for await (const part of data) parts.push(part);
  return parts;
}

describe('scanStatements: PostgreSQL COPY ... FROM stdin', () => {
  it('keeps the data block out of the SQL and hands it to the statement', () => {
    const result = scanStatements(DUMP, postgresSyntax);
    expect(result.statements).toEqual([
      { sql: 'CREATE TABLE t (a int, b text)', line: 1, column: 1 },
      { sql: 'COPY t (a, b) FROM stdin', line: 2, column: 1, copyData: '1\tone\n2\tit\'s; $$\n' },
      { sql: 'SELECT 1', line: 6, column: 1 },
    ]);
    expect(result.pieces).toEqual(['CREATE TABLE t (a int, b text);', '\nCOPY t (a, b) FROM stdin;\n1\tone\n2\tit\'s; $$\n\\.\n', 'SELECT 1;', '\n']);
    expect(result.error).toBeUndefined();
  });

  it('ends the data at a last line "\\." without a line feed, and takes an empty block', () => {
    expect(scanStatements('COPY t FROM STDIN;\n5\n\\.', postgresSyntax).statements).toEqual([{ sql: 'COPY t FROM STDIN', line: 1, column: 1, copyData: '5\n' }]);
    expect(scanStatements('copy t from stdin with (format csv);\n\\.\n', postgresSyntax).statements[0]?.copyData).toBe('');
  });

  it('reads only a line exactly "\\." as the end of the data', () => {
    const result = scanStatements('COPY t FROM stdin;\n\\.x\n \\.\na\\.\n\\.\n', postgresSyntax);
    expect(result.statements[0]?.copyData).toBe('\\.x\n \\.\na\\.\n');
  });

  it('reports a block the text ends in, and text after the statement on its line', () => {
    expect(scanStatements('SELECT 1;\nCOPY t FROM stdin;\n1\n', postgresSyntax)).toMatchObject({
      statements: [{ sql: 'SELECT 1' }],
      error: { message: 'unterminated COPY ... FROM stdin data: no "\\." line ends it', line: 2, column: 1 },
    });
    expect(scanStatements('COPY t FROM stdin', postgresSyntax).error).toMatchObject({ message: expect.stringMatching(/^unterminated COPY/), line: 1, column: 1 });
    expect(scanStatements('COPY t FROM stdin; SELECT 1;\n\\.\n', postgresSyntax)).toMatchObject({
      statements: [],
      error: { message: expect.stringContaining('psql reads the data from the next line'), line: 1, column: 20 },
    });
  });

  it('allows spaces and a line comment after the statement', () => {
    const result = scanStatements('COPY t FROM stdin;  -- rows\n1\n\\.\n', postgresSyntax);
    expect(result.statements[0]?.copyData).toBe('1\n');
  });

  it('reads no data after COPY FROM a file or program, COPY TO, or FROM stdin inside parentheses', () => {
    for (const sql of ["COPY t FROM '/tmp/x'", "COPY t FROM PROGRAM 'cat x'", 'COPY t TO STDOUT', 'COPY (SELECT * FROM stdin) TO STDOUT', 'SELECT copy FROM stdin']) {
      const result = scanStatements(`${sql};\nSELECT 2;\n`, postgresSyntax);
      expect(result.statements.map((s) => s.sql)).toEqual([sql, 'SELECT 2']);
      expect(result.statements[0]).not.toHaveProperty('copyData');
    }
  });

  it('leaves COPY as plain SQL on MySQL and SQLite (their servers reject it)', () => {
    for (const syntax of [mysqlSyntax, sqliteSyntax]) {
      expect(scanStatements('COPY t FROM stdin;\n1;\n', syntax).statements).toEqual([
        { sql: 'COPY t FROM stdin', line: 1, column: 1 },
        { sql: '1', line: 2, column: 1 },
      ]);
    }
  });
});

describe('streamStatements', () => {
  it('yields the statements, the count and the checksum of the whole text', async () => {
    const stream = streamStatements(source(chunked(DUMP, 7)).chunks, postgresSyntax, { line: 10 });
    const found: Array<{ sql: string; line: number; data?: string }> = [];
    for await (const statement of stream) {
      found.push({ sql: statement.sql, line: statement.line, ...(statement.copyData ? { data: (await collect(statement.copyData)).join('') } : {}) });
    }
    expect(found).toEqual([
      { sql: 'CREATE TABLE t (a int, b text)', line: 10 },
      { sql: 'COPY t (a, b) FROM stdin', line: 11, data: '1\tone\n2\tit\'s; $$\n' },
      { sql: 'SELECT 1', line: 15 },
    ]);
    expect(stream.summary).toEqual({ statements: 3, checksum: checksumOf(DUMP), error: undefined });
  });

  it('hands out a large COPY block in whole-line pieces, reading the input as they are consumed', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i}\trow ${i}\n`).join('');
    const input = source(chunked(`COPY t FROM stdin;\n${rows}\\.\nSELECT 2;\n`, 1000));
    const iterator = streamStatements(input.chunks, postgresSyntax)[Symbol.asyncIterator]();
    const copy = (await iterator.next()).value as Statement;
    expect(input.seen.pulled).toBeLessThan(3);
    const parts = await collect(copy.copyData);
    await expect(collect(copy.copyData)).rejects.toThrow(/only once/);
    expect(parts.join('')).toBe(rows);
    expect(parts.length).toBeGreaterThan(100);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThan(2100);
    expect(parts.every((p) => p.endsWith('\n'))).toBe(true);
    expect((await iterator.next()).value).toMatchObject({ sql: 'SELECT 2' });
  });

  it('skips (and checksums) the data the consumer did not read, and refuses it afterwards', async () => {
    const stream = streamStatements(source(chunked(DUMP, 5)).chunks, postgresSyntax);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const copy = (await iterator.next()).value as Statement;
    const data = (copy.copyData as AsyncIterable<string>)[Symbol.asyncIterator]();
    await data.next();
    expect((await iterator.next()).value).toMatchObject({ sql: 'SELECT 1' });
    await expect(data.next()).rejects.toThrow(/moved on/);
    expect((await iterator.next()).done).toBe(true);
    expect(stream.summary?.checksum).toBe(checksumOf(DUMP));
    expect(() => (copy.copyData as AsyncIterable<string>)[Symbol.asyncIterator]()).toThrow(/moved on/);
  });

  it('fails the data of a block the input ends in with E_PARSE, so it is never copied whole', async () => {
    const stream = streamStatements(source(['SELECT 1;\nCOPY t FROM stdin;\n1\n', '2\n']).chunks, postgresSyntax, { file: 'V1__load.sql' });
    const seen: string[] = [];
    let failure: unknown;
    for await (const statement of stream) {
      seen.push(statement.sql);
      if (statement.copyData) failure = await collect(statement.copyData).catch((error: unknown) => error);
    }
    expect(seen).toEqual(['SELECT 1', 'COPY t FROM stdin']);
    expect(failure).toBeInstanceOf(MigratorError);
    expect(failure).toMatchObject({ code: 'E_PARSE', message: 'V1__load.sql:2:1: unterminated COPY ... FROM stdin data: no "\\." line ends it' });
    expect(stream.summary).toMatchObject({ statements: 1, error: { line: 2, column: 1 } });
  });

  it('reads the input lazily and closes it when the consumer stops', async () => {
    const input = source(Array.from({ length: 10_000 }, (_, i) => `INSERT INTO t VALUES (${i});\n`));
    const stream = streamStatements(input.chunks, sqliteSyntax);
    for await (const statement of stream) {
      expect(statement.sql).toBe('INSERT INTO t VALUES (0)');
      break;
    }
    expect(input.seen.pulled).toBeLessThan(5);
    expect(input.seen.closed).toBe(true);
    expect(stream.summary).toBeUndefined();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('stays linear when one statement spans many small chunks', async () => {
    const body = 'x'.repeat(4 * 1024 * 1024);
    const text = `SELECT '${body}';\nSELECT 2;\n`;
    const started = Date.now();
    const sqls: string[] = [];
    for await (const statement of streamStatements(source(chunked(text, 64)).chunks, postgresSyntax)) sqls.push(statement.sql.slice(0, 9));
    expect(sqls).toEqual(["SELECT 'x", 'SELECT 2']);
    // Rescanning the statement at each of the 65,000 chunks would take minutes.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('passes through what the source throws', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'SELECT 1;\n';
      throw new Error('disk on fire');
    }
    const sqls: string[] = [];
    await expect((async () => {
      for await (const statement of streamStatements(failing(), postgresSyntax)) sqls.push(statement.sql);
    })()).rejects.toThrow('disk on fire');
    expect(sqls).toEqual(['SELECT 1']);
  });
});
