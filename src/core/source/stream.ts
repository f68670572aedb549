/**
 * The streaming statement scanner: reads a migration file as a stream of chunks and yields its
 * statements as they are found, computing the file's checksum on the same pass. It yields exactly
 * what `scanStatements` returns for the whole text (normalised as `normaliseText` does), for any
 * chunking, while holding only the statement being read and the latest chunk: a PostgreSQL
 * `COPY ... FROM stdin` data block is handed out as an iterable of chunks, never as one string.
 */
import { MigratorError } from '../errors.js';
import type { Statement } from '../model.js';
import { Splitter, type ScanError } from './scanner-splitter.js';
import { NormalisedInput } from './stream-input.js';
import type { SqlSyntax } from './syntax.js';

/** Options of `streamStatements`. */
export interface StreamOptions {
  /** 1-based line number of the input's first line in its file (default 1). */
  readonly line?: number;
  /** The file, for the message of a COPY data block the input ends in (default `input`). */
  readonly file?: string;
}

/** What a statement stream found, once its input has ended. */
export interface StreamSummary {
  /**
   * How many statements the input holds (those yielded, COPY statements included, but not a COPY
   * statement whose data the input ends in): `scanStatements(text).statements.length`.
   */
  readonly statements: number;
  /** `sha256v1:` checksum of the whole input: `checksumOf(normaliseText(text))` of the file. */
  readonly checksum: string;
  /**
   * As `ScanResult.error`: where the input ended inside an unterminated quote, comment, body or
   * COPY data block. The statement holding it was not yielded; those before it were.
   */
  readonly error: ScanError | undefined;
}

/** The statements of one input, readable once with `for await`; see `streamStatements`. */
export interface StatementStream extends AsyncIterable<Statement> {
  /**
   * Set when the iteration has run to the end of the input; `undefined` before, and when the
   * consumer stopped early or reading the input failed.
   */
  readonly summary: StreamSummary | undefined;
}

/**
 * The statements of `chunks` (a file read as a stream: `fs.createReadStream(path)`), as the engine
 * described by `syntax` reads them. Buffers are decoded as UTF-8, also across chunk boundaries; the
 * text is normalised and checksummed as it passes. Iterating reads the input; it never throws for
 * what the text holds (an unterminated construct ends the iteration and is reported in `summary`),
 * only what the source throws. Memory is bounded by the longest statement (up to twice it, plus a
 * chunk), not by the input.
 *
 * A statement with `copyData` (PostgreSQL `COPY ... FROM stdin`) carries an async iterable of its
 * data lines that reads on from the same input: send it (e.g. `copyFrom(client, sql, copyData)`)
 * before asking for the next statement, or leave it; the stream then skips (and still checksums)
 * what was not read. Reading it after that throws. When the input ends before the data's `\.`
 * line, reading it throws an E_PARSE MigratorError, so a truncated block is never copied whole.
 */
export function streamStatements(chunks: AsyncIterable<string | Buffer>, syntax: SqlSyntax, options: StreamOptions = {}): StatementStream {
  return new StreamScan(chunks, syntax, options);
}

class StreamScan implements StatementStream {
  summary: StreamSummary | undefined = undefined;
  private started = false;

  constructor(
    private readonly chunks: AsyncIterable<string | Buffer>,
    private readonly syntax: SqlSyntax,
    private readonly options: StreamOptions,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Statement> {
    if (this.started) throw new Error('a statement stream can be iterated only once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<Statement, void, undefined> {
    const input = new NormalisedInput(this.chunks);
    const splitter = new Splitter(this.syntax, { firstLine: this.options.line ?? 1, pieces: false });
    let count = 0;
    try {
      for (;;) {
        const status = splitter.scan(input.ended);
        for (const statement of splitter.statements) {
          count++;
          yield statement;
        }
        splitter.statements.length = 0;
        const copy = splitter.copyStatement;
        if (status === 'end') break;
        if (status === 'copy' && copy) {
          const copyData = new CopyData(splitter, input, this.options.file ?? 'input');
          count++;
          yield { ...copy, copyData };
          await copyData.skipRest();
          // The input ended inside its data: like scanStatements, do not count it as a statement.
          if (splitter.error) count--;
        } else {
          // Read at least as much as the buffer keeps: a statement spanning many chunks is then
          // copied (and a quote still open lexed again) a bounded number of times: the pass stays linear.
          splitter.append(await input.read(Math.max(1, splitter.retained)));
        }
      }
      // A malformed COPY line stops the scan early: the checksum still covers the whole input.
      while (!input.ended) await input.read(1);
      this.summary = Object.freeze({ statements: count, checksum: input.checksum(), error: splitter.error });
    } finally {
      await input.close();
    }
  }
}

/** The data lines of one COPY block, read from the input the statement stream is reading. */
class CopyData implements AsyncIterable<string> {
  private started = false;
  /** The statement stream moved on: what was not read is gone. */
  private skipped = false;

  constructor(
    private readonly splitter: Splitter,
    private readonly input: NormalisedInput,
    private readonly file: string,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.skipped) throw new Error('COPY data read after the statement stream moved on to the next statement');
    if (this.started) throw new Error('the data of a COPY statement can be read only once');
    this.started = true;
    return this.read();
  }

  /** Called by the statement stream when asked for the next statement: drops what was not read. */
  async skipRest(): Promise<void> {
    this.skipped = true;
    while (this.splitter.copying) {
      this.splitter.readCopy(this.input.ended);
      if (this.splitter.copying) this.splitter.append(await this.input.read(Math.max(1, this.splitter.retained)));
    }
  }

  private async *read(): AsyncGenerator<string, void, undefined> {
    while (this.splitter.copying) {
      const data = this.splitter.readCopy(this.input.ended);
      if (data.length > 0) {
        yield data;
        if (this.skipped) throw new Error('COPY data read after the statement stream moved on to the next statement');
      } else if (this.splitter.copying) {
        this.splitter.append(await this.input.read(Math.max(1, this.splitter.retained)));
      }
    }
    const error = this.splitter.error;
    if (error) {
      throw new MigratorError('E_PARSE', `${this.file}:${error.line}:${error.column}: ${error.message}`, {
        at: { file: this.file, line: error.line, column: error.column },
        hint: 'The file ends inside the data of this COPY statement: restore its end (a line "\\." closes the data).',
      });
    }
  }
}
