/**
 * Splits one file into its `-- migrate:up`, `-- migrate:down` and `-- migrate:verify` sections
 * (dbmate-compatible). A file without markers is all `up`. Markers are whole comment lines, so they
 * are found line by line without scanning SQL.
 */
import type { Problem } from '../errors.js';

export type SectionKind = 'header' | 'up' | 'down' | 'verify';

export interface Section {
  readonly kind: SectionKind;
  /** The section's text, marker line excluded. */
  readonly text: string;
  /** 1-based line in the file of the text's first line. */
  readonly line: number;
  /** Whatever followed the marker on its line (dbmate's `transaction:false`). */
  readonly options: string;
}

const MARKER = /^--\s*migrate:(up|down|verify)\b(.*)$/;

/** Finds the sections of a normalised (LF-only) file. Reports duplicate markers as problems. */
export function splitSections(text: string, file: string): { readonly sections: Section[]; readonly problems: Problem[]; readonly marked: boolean } {
  // Most files have no marker: skip splitting them into lines (there may be 100,000 files).
  if (!text.includes('migrate:')) return { sections: [{ kind: 'up', text, line: 1, options: '' }], problems: [], marked: false };
  const lines = text.split('\n');
  const sections: Section[] = [];
  const problems: Problem[] = [];
  let current: { kind: SectionKind; start: number; options: string } = { kind: 'header', start: 0, options: '' };
  const close = (end: number): void => {
    sections.push({ kind: current.kind, text: lines.slice(current.start, end).join('\n'), line: current.start + 1, options: current.options });
  };
  lines.forEach((line, index) => {
    const match = MARKER.exec(line.trim());
    if (!match) return;
    const kind = match[1] as SectionKind;
    if (sections.some((s) => s.kind === kind) || current.kind === kind) {
      problems.push({ code: 'E_PARSE', message: `${file}:${index + 1}: "-- migrate:${kind}" appears twice`, at: { file, line: index + 1 }, hint: 'Keep one section of each kind per file.' });
    }
    close(index);
    current = { kind, start: index + 1, options: (match[2] ?? '').trim() };
  });
  close(lines.length);
  const hasMarkers = sections.length > 1;
  if (!hasMarkers) return { sections: [{ kind: 'up', text, line: 1, options: '' }], problems, marked: false };
  if (!sections.some((s) => s.kind === 'up')) {
    problems.push({ code: 'E_PARSE', message: `${file} has "-- migrate:" sections but no "-- migrate:up"`, at: { file, line: 1 }, hint: 'Add a "-- migrate:up" line before the forward statements.' });
  }
  return { sections, problems, marked: true };
}
