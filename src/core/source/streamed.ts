/**
 * Migration files too large to hold in memory (over {@link STREAM_ABOVE_BYTES}): the loader passes
 * over each once, scanning its statements and checksumming it on the same pass, and keeps only what
 * it found (a `StreamedFile`); the executor reads the file again as it runs the statements
 * (core/run/statements.ts), checksumming that pass too. Memory is bounded by the largest statement.
 *
 * A file that needs its whole text is read whole as any other, whatever its size: `-- migrate:`
 * lines (sections, directives), placeholders, a statement that opens or ends a transaction or one
 * that cannot run inside one. Those are rare in the data loads this is for.
 */
import { createReadStream } from 'node:fs';
import type { Problem } from '../errors.js';
import type { Script } from '../model.js';
import { controlsTransaction } from './parse.js';
import { isNonTransactional } from './scanner.js';
import { isDataStatement } from './statement-kind.js';
import { streamStatements, type StatementStream } from './stream.js';
import type { SqlSyntax } from './syntax.js';

/** Files larger than this are streamed (docs/performance.md). */
export const STREAM_ABOVE_BYTES = 16 * 1024 * 1024;

/** Read size: larger chunks were slower and held more memory (measured on a 1 GiB file). */
const CHUNK_BYTES = 64 * 1024;

// Any `-- migrate:` line: a section marker or a directive, which need the whole text. Markers are
// ASCII, so the raw bytes are searched as latin1 (cheap, and exact for ASCII).
const MARKER = /(?:^|\n)[ \t]*--[ \t]*migrate:/;

/** The statements of the file at `absolute`, read as a stream (see StatementStream). */
export function openStatements(absolute: string, file: string, syntax: SqlSyntax, watch?: (chunk: Buffer) => void): StatementStream {
  const source = createReadStream(absolute, { highWaterMark: CHUNK_BYTES });
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      watch?.(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  return streamStatements(chunks(), syntax, { file });
}

/** What the loader keeps of a streamed file: its up script (no statements held) and checksum. */
export interface StreamedLoad {
  readonly script: Script;
  readonly checksum: string;
  readonly problems: ReadonlyArray<Problem>;
}

/**
 * Passes over the large file `absolute` once. `undefined` when it must be read whole after all
 * (see the module comment).
 */
export async function loadStreamed(file: string, absolute: string, bytes: number, syntax: SqlSyntax): Promise<StreamedLoad | undefined> {
  let tail = '';
  let marked = false;
  const stream = openStatements(absolute, file, syntax, (chunk) => {
    const text = tail + chunk.toString('latin1');
    if (MARKER.test(text)) marked = true;
    tail = text.slice(-64);
  });
  let count = 0;
  let allData = true;
  for await (const statement of stream) {
    if (marked || controlsTransaction(statement.sql) || isNonTransactional(statement.sql, syntax)) return undefined;
    allData &&= isDataStatement(statement.sql);
    count += 1;
  }
  const summary = stream.summary;
  if (marked || summary === undefined) return undefined;
  const problems: Problem[] = [];
  const error = summary.error;
  if (error) {
    problems.push({ code: 'E_PARSE', message: `${file}:${error.line}:${error.column}: ${error.message}`, at: { file, line: error.line, column: error.column }, hint: 'Close the quote, comment or block that starts there.' });
  }
  const script: Script = Object.freeze({
    file, statements: Object.freeze([]), transactional: true, timeoutMs: undefined,
    stream: Object.freeze({ absolute, bytes, statements: count, allData }),
  });
  return { script, checksum: summary.checksum, problems };
}
