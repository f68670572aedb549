/**
 * `COPY ... FROM STDIN` for the PostgreSQL driver: the scanner hands such a statement its data
 * lines (`Statement.copyData`), which go to the server as COPY data through pg-copy-streams, never
 * as SQL. The data is pulled only as fast as the socket drains, so a block of any size streams
 * from the file to the server in bounded memory.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';

/** A string is sent in pieces of this many characters, not converted into one Buffer. */
const PIECE = 64 * 1024;

function* pieces(text: string): Generator<string> {
  for (let at = 0; at < text.length; at += PIECE) yield text.slice(at, at + PIECE);
}

/**
 * Runs `sql` (a `COPY <table> ... FROM STDIN ...` statement) on `client` and sends `data` as its
 * rows: a string (a file scanned whole) or the async iterable of a streamed file, read once, no
 * faster than the server takes it. Resolves with the number of rows the server copied.
 *
 * Rejects, with the COPY aborted and nothing of it kept, when the server refuses the statement or
 * a row (the pg `DatabaseError` as node-postgres raises it: the server's message, and in `where`
 * its CONTEXT, e.g. `COPY t, line 3, column id: "x"`), and when iterating `data` throws (its error,
 * after a CopyFail). The connection stays usable for the next statement either way (inside a
 * transaction, which the failure aborted, only ROLLBACK works).
 */
export async function copyFrom(client: pg.Client, sql: string, data: AsyncIterable<string | Buffer> | string): Promise<number> {
  const sink = client.query(copyFromStdin(sql));
  const source = Readable.from(typeof data === 'string' ? pieces(data) : data, { objectMode: false });
  await pipeline(source, sink);
  return sink.rowCount;
}
