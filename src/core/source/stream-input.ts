/**
 * The text side of streaming a migration file: decodes UTF-8 across chunk boundaries, normalises
 * the text exactly as `normaliseText` does (a leading BOM stripped, CRLF and lone CR turned into
 * LF), and feeds the normalised text to sha256 as it passes, so the checksum needs no second read.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { CHECKSUM_PREFIX } from './checksum.js';

const CR = 13;
const LF = 10;

/** One pass over a chunked input; `read` is called by one reader at a time. */
export class NormalisedInput {
  private readonly iterator: AsyncIterator<string | Buffer>;
  private readonly decoder = new StringDecoder('utf8');
  private readonly hash = createHash('sha256');
  /** False until the first character passed: only that one may be a BOM to strip. */
  private begun = false;
  /** The last character passed was a CR: an LF starting the next chunk belongs to it. */
  private afterCr = false;
  /** A high surrogate that ended a string chunk, kept for the low one that may start the next. */
  private held = '';
  private done = false;
  private reading = false;

  constructor(chunks: AsyncIterable<string | Buffer>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** True once the input has ended and everything in it was returned by `read`. */
  get ended(): boolean {
    return this.done;
  }

  /**
   * Normalised text: the next chunks, until at least `want` characters came or the input ended
   * (`''` then). Throws what the source throws, and when called again before the last call settled.
   */
  async read(want: number): Promise<string> {
    if (this.reading) throw new Error('NormalisedInput.read called again before the last read settled');
    this.reading = true;
    try {
      const parts: string[] = [];
      let length = 0;
      while (!this.done && length < want) {
        const next = await this.iterator.next();
        const text = next.done === true ? this.flush() : this.normalise(next.value);
        if (next.done === true) this.done = true;
        if (text.length > 0) {
          parts.push(text);
          length += text.length;
        }
      }
      return parts.length === 1 ? (parts[0] ?? '') : parts.join('');
    } finally {
      this.reading = false;
    }
  }

  /** `sha256v1:` + the hex digest of all the normalised text; once, after the input `ended`. */
  checksum(): string {
    return CHECKSUM_PREFIX + this.hash.digest('hex');
  }

  /** Stops reading the source early (its `return`), e.g. when the consumer stops iterating. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }

  private normalise(chunk: string | Buffer): string {
    // A string chunk after Buffer ones ends any multi-byte character they left open.
    let text = typeof chunk === 'string' ? this.decoder.end() + chunk : this.decoder.write(chunk);
    if (this.held.length > 0) {
      text = this.held + text;
      this.held = '';
    }
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      // sha256 of a lone surrogate is that of U+FFFD: hash the pair together, never its halves apart.
      this.held = text.slice(-1);
      text = text.slice(0, -1);
    }
    return this.pass(text);
  }

  private flush(): string {
    const text = this.held + this.decoder.end();
    this.held = '';
    return this.pass(text);
  }

  /** Normalises and hashes one piece of decoded text. */
  private pass(decoded: string): string {
    let text = decoded;
    if (text.length === 0) return text;
    if (!this.begun) {
      this.begun = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCr && text.charCodeAt(0) === LF) text = text.slice(1);
    this.afterCr = false;
    if (text.includes('\r')) {
      this.afterCr = text.charCodeAt(text.length - 1) === CR;
      text = text.replace(/\r\n?/g, '\n');
    }
    this.hash.update(text, 'utf8');
    return text;
  }
}
