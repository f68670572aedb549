/**
 * Line and column of offsets for the statement scanner, over a buffer that drops the input it no
 * longer needs (the streaming scanner's): line feeds are counted once, as the offsets asked grow.
 */

/** Turns absolute offsets, asked in growing order, into line/column over a buffer that drops its start. */
export class LineCounter {
  private line: number;
  private lineStart = 0;
  /** Absolute index of the first line feed at or after `lineStart`, -1 while not found. */
  private nextLf = -1;
  /** While `nextLf` is -1: the buffer held no line feed between `lineStart` and here. */
  private searched = 0;

  constructor(firstLine: number) {
    this.line = firstLine;
  }

  /** Line and column of absolute `offset`; `text` is the buffer, which starts at absolute `base`. */
  at(text: string, base: number, offset: number): { readonly line: number; readonly column: number } {
    this.advance(text, base, offset);
    return { line: this.line, column: offset - this.lineStart + 1 };
  }

  /** Counts the line feeds before absolute `offset`; called before the buffer drops them. */
  advance(text: string, base: number, offset: number): void {
    for (;;) {
      if (this.nextLf < 0) {
        const found = text.indexOf('\n', Math.max(this.searched, this.lineStart) - base);
        if (found < 0) {
          this.searched = base + text.length;
          return;
        }
        this.nextLf = base + found;
      }
      if (this.nextLf >= offset) return;
      this.line++;
      this.lineStart = this.nextLf + 1;
      this.nextLf = -1;
    }
  }
}
