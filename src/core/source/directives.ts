/**
 * Header directives: `-- migrate:<name> ...` comment lines before the first statement of a file
 * or section. Unknown names and directives after the first statement are errors, because a
 * directive that is silently ignored (a typo, or one placed too late) changes how SQL runs.
 */
import type { Problem } from '../errors.js';
import type { Directives } from '../model.js';
import { canonicalRef } from '../version.js';

/** Which directives a place accepts: file-level ones only in the file header or up section. */
export type DirectiveScope = 'file' | 'section';

export interface DirectiveInput {
  readonly text: string;
  /** 1-based file line of `text`'s first line. */
  readonly line: number;
  /** File line of the first statement, or `undefined` when the text holds none. */
  readonly firstStatementLine: number | undefined;
  readonly file: string;
  readonly scope: DirectiveScope;
}

export type MutableDirectives = { -readonly [K in keyof Directives]: Directives[K] extends ReadonlyArray<infer T> ? T[] : Directives[K] };

export function emptyDirectives(): MutableDirectives {
  return { depends: [], transaction: true, irreversible: false, allow: [], timeoutMs: undefined };
}

const DIRECTIVE = /^\s*--\s*migrate:([A-Za-z][\w-]*)(.*)$/;
const FILE_LEVEL = new Set(['depends', 'irreversible', 'allow']);
const KNOWN = new Set(['depends', 'transaction', 'irreversible', 'allow', 'timeout']);

/** Parses `30s`, `500ms`, `5m`, `1h`, or bare seconds; `undefined` if malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

/** Reads the directives of one file or section into `into`, returning the problems found. */
export function readDirectives(input: DirectiveInput, into: MutableDirectives): Problem[] {
  const problems: Problem[] = [];
  // Most files have no directive: skip splitting them into lines (there may be 100,000 files).
  if (!input.text.includes('migrate:')) return problems;
  input.text.split('\n').forEach((text, index) => {
    const match = DIRECTIVE.exec(text);
    if (!match) return;
    const line = input.line + index;
    const name = match[1] ?? '';
    const argument = (match[2] ?? '').trim();
    const fail = (message: string, hint: string): void => {
      problems.push({ code: 'E_PARSE', message: `${input.file}:${line}: ${message}`, at: { file: input.file, line }, hint });
    };
    if (!KNOWN.has(name)) return fail(`unknown directive "-- migrate:${name}"`, 'Known directives: depends, transaction, irreversible, allow, timeout (and the section markers up, down, verify).');
    if (input.firstStatementLine !== undefined && line > input.firstStatementLine) {
      return fail(`"-- migrate:${name}" comes after the first statement and would be ignored`, 'Move directives into the comment header, before the first statement.');
    }
    if (FILE_LEVEL.has(name) && input.scope !== 'file') return fail(`"-- migrate:${name}" applies to the whole migration`, 'Put it in the file header or the up section.');
    const message = applyDirective(name, argument, into);
    if (message) fail(message, 'See docs/file-format.md for the directive syntax.');
  });
  return problems;
}

function applyDirective(name: string, argument: string, into: MutableDirectives): string | undefined {
  const words = argument.split(/[\s,]+/).filter((word) => word !== '');
  switch (name) {
    case 'depends': {
      if (words.length === 0) return '"-- migrate:depends" needs at least one version or R__ name';
      for (const word of words) {
        const ref = canonicalRef(word);
        if (ref === undefined) return `"${word}" is not a version or R__ name`;
        into.depends.push(ref);
      }
      return undefined;
    }
    case 'transaction':
      if (!/^(on|off)$/i.test(argument)) return `"-- migrate:transaction" takes "on" or "off", not "${argument}"`;
      into.transaction = argument.toLowerCase() === 'on';
      return undefined;
    case 'irreversible':
      if (argument !== '') return '"-- migrate:irreversible" takes no argument';
      into.irreversible = true;
      return undefined;
    case 'allow':
      if (words.length === 0) return '"-- migrate:allow" needs at least one lint rule name';
      into.allow.push(...words);
      return undefined;
    default: {
      const ms = parseDuration(argument);
      if (ms === undefined || ms <= 0) return `"-- migrate:timeout" takes a duration such as 30s, 500ms or 5m, not "${argument}"`;
      into.timeoutMs = ms;
      return undefined;
    }
  }
}

/** dbmate writes `-- migrate:up transaction:false` on the marker line itself. */
export function applyMarkerOptions(options: string, into: MutableDirectives): void {
  if (/\btransaction:\s*false\b/i.test(options)) into.transaction = false;
}
