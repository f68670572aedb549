import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamStatements } from '../../src/core/source/stream.js';
import { copyFrom } from '../../src/drivers/postgres/copy.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { createDatabase, findServer, type Server, type TestDatabase } from '../support/databases.js';

const { server, skip } = await findServer('postgres');
if (skip !== undefined) console.warn(skip);

/** The rejection of `promise`; fails the test when it resolves. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error);

async function* chunks(...parts: Array<string | Buffer>): AsyncGenerator<string | Buffer> {
  for (const part of parts) yield part;
}

describe.skipIf(!server)('PostgreSQL copyFrom', () => {
  let database: TestDatabase;
  let client: pg.Client;
  const rows = async (sql: string): Promise<unknown[]> => (await client.query(sql)).rows;

  beforeAll(async () => {
    database = await createDatabase(server as Server, 'pg copy');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE t (id int PRIMARY KEY, note text)');
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('copies a string block and an iterable one, and counts the rows', async () => {
    await client.query('TRUNCATE t');
    expect(await copyFrom(client, 'COPY t (id, note) FROM stdin', "1\tone\n2\tit's; $$\n3\t\\N\n")).toBe(3);
    expect(await copyFrom(client, 'COPY t FROM STDIN WITH (FORMAT csv)', chunks('4,"a ""quo', 'ted"" note"\n5,', Buffer.from('five\n')))).toBe(2);
    expect(await rows('SELECT id, note FROM t ORDER BY id')).toEqual([
      { id: 1, note: 'one' }, { id: 2, note: "it's; $$" }, { id: 3, note: null }, { id: 4, note: 'a "quoted" note' }, { id: 5, note: 'five' },
    ]);
  });

  it('runs a pg_dump-style file through the streaming scanner', async () => {
    const dump = 'DROP TABLE IF EXISTS d;\nCREATE TABLE d (a int, b text);\nCOPY d (a, b) FROM stdin;\n1\tx\n2\ty\n\\.\nINSERT INTO d VALUES (3, \'z\');\n';
    const stream = streamStatements(chunks(...dump.match(/[^]{1,7}/g) ?? []), postgresSyntax);
    for await (const statement of stream) {
      if (statement.copyData === undefined) await client.query(statement.sql);
      else expect(await copyFrom(client, statement.sql, statement.copyData)).toBe(2);
    }
    expect(stream.summary?.statements).toBe(4);
    expect(await rows('SELECT a, b FROM d ORDER BY a')).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: 'z' }]);
  });

  it("rejects with the server's error and CONTEXT for a bad row, copying nothing", async () => {
    await client.query('TRUNCATE t');
    const error = await rejection(copyFrom(client, 'COPY t FROM stdin', chunks('1\tok\n2\tok\n', 'x\tbad\n4\tok\n')));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "x"' });
    expect((error as pg.DatabaseError).where).toMatch(/^COPY t, line 3, column id: "x"/);
    expect(await rows('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('rejects with the error of the data source, after telling the server to abort', async () => {
    await client.query('TRUNCATE t');
    async function* truncated(): AsyncGenerator<string> {
      yield '1\tok\n';
      throw new Error('the file ends inside the COPY data');
    }
    const error = await rejection(copyFrom(client, 'COPY t FROM stdin', truncated()));
    expect(error).toMatchObject({ message: 'the file ends inside the COPY data' });
    expect(await rows('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('rejects a statement the server refuses before any data', async () => {
    const error = await rejection(copyFrom(client, 'COPY missing FROM stdin', '1\n'));
    expect(error).toMatchObject({ code: '42P01' });
    expect(await rows('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('streams 200 MB of COPY data from a file-like source with bounded memory', async () => {
    await client.query('CREATE UNLOGGED TABLE big (id int, note text)');
    const total = 200 * 1024 * 1024;
    const note = 'n'.repeat(90);
    /** A migration file read in 64 KiB chunks: the COPY statement, ~2 million rows, `\.`. */
    async function* file(): AsyncGenerator<Buffer> {
      yield Buffer.from('COPY big (id, note) FROM stdin;\n');
      let id = 0;
      for (let sent = 0; sent < total;) {
        const lines: string[] = [];
        for (let size = 0; size < 64 * 1024; id++) {
          const line = `${id}\t${note}\n`;
          lines.push(line);
          size += line.length;
        }
        const chunk = Buffer.from(lines.join(''));
        sent += chunk.length;
        yield chunk;
      }
      yield Buffer.from('\\.\nSELECT 1;\n');
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const stream = streamStatements(file(), postgresSyntax);
      let copied = 0;
      for await (const statement of stream) {
        if (statement.copyData !== undefined) copied = await copyFrom(client, statement.sql, statement.copyData);
      }
      expect(copied).toBeGreaterThan(2_000_000);
      expect(stream.summary?.statements).toBe(2);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMiB = (peak - before) / 1024 / 1024;
    // The bound a 1 GB migration must meet is 150 MB for the whole process; the data must not pile up.
    expect(growthMiB).toBeLessThan(100);
    expect(await rows('SELECT count(*)::int AS n FROM big')).toEqual([{ n: expect.any(Number) as number }]);
  }, 180_000);
});
