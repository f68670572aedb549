/**
 * The block convention of runbooks/README.md: parsing a runbook's fenced blocks, checking them
 * against the convention, choosing the ones a scenario runs, and turning one into the bash script
 * the harness executes. Pure, no database: test/runbooks/blocks.test.ts covers it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../e2e/helpers.js';

export type Engine = 'postgres' | 'mysql' | 'sqlite';

/** One fenced block of a runbook. */
export interface Block {
  readonly index: number;
  /** 1-based line of the opening fence in the runbook. */
  readonly line: number;
  readonly lang: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Parses the fenced blocks of a markdown file (indented fences inside lists included). */
export function parseBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const fence = open[2] ?? '```';
    const [lang = '', ...rest] = (open[3] ?? '').trim().split(/\s+/);
    const attrs: Record<string, string> = {};
    for (const token of rest) {
      const eq = token.indexOf('=');
      if (eq > 0) attrs[token.slice(0, eq)] = token.slice(eq + 1);
      else attrs[token] = '';
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j += 1) {
      const line = lines[j] ?? '';
      if (line.trim() === fence) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ index: blocks.length, line: i + 1, lang, attrs, body: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

/** Reads and parses runbooks/<name>. */
export function runbook(name: string): { readonly file: string; readonly blocks: Block[] } {
  const file = path.join(REPO_ROOT, 'runbooks', name);
  return { file, blocks: parseBlocks(fs.readFileSync(file, 'utf8')) };
}

/** Blocks the harness acts on: commands and file edits. */
export function isAction(block: Block): boolean {
  return block.lang === 'sh' || block.attrs['file'] !== undefined;
}

/** Problems with the convention itself (checked without any database). */
export function conventionProblems(blocks: ReadonlyArray<Block>): string[] {
  const problems: string[] = [];
  for (const block of blocks) {
    const where = `block at line ${block.line}`;
    if (block.lang === '') problems.push(`${where}: no info string (sh, text, sql, yaml, ...)`);
    if (block.lang === 'console' || block.lang === 'bash' || block.lang === 'shell') problems.push(`${where}: "${block.lang}" block: commands go in sh blocks, output in text blocks`);
    if (block.lang === 'text' && /^\$ /m.test(block.body)) problems.push(`${where}: a text block shows a "$ " command: put it in an sh block`);
    for (const key of Object.keys(block.attrs)) {
      if (!['engine', 'case', 'file'].includes(key)) problems.push(`${where}: unknown attribute ${key}`);
    }
    for (const engine of (block.attrs['engine'] ?? 'postgres').split(',')) {
      if (!['postgres', 'mysql', 'sqlite'].includes(engine)) problems.push(`${where}: unknown engine ${engine}`);
    }
  }
  return problems;
}


/** What selects blocks: a scenario's engine and the branches (cases) it follows. */
export interface Selector {
  readonly engine: Engine;
  readonly cases: ReadonlyArray<string>;
}

/** Whether a scenario runs `block`. */
export function selects(scenario: Selector, block: Block): boolean {
  if (!isAction(block)) return false;
  const engines = block.attrs['engine']?.split(',');
  if (engines && !engines.includes(scenario.engine)) return false;
  const cases = block.attrs['case']?.split(',');
  if (cases && !cases.some((c) => scenario.cases.includes(c))) return false;
  return true;
}

/** Action blocks that no scenario runs: each one is a command nobody tests. */
export function uncovered(blocks: ReadonlyArray<Block>, scenarios: ReadonlyArray<Selector>): Block[] {
  return blocks.filter((block) => isAction(block) && !scenarios.some((scenario) => selects(scenario, block)));
}


/** A block as the script bash runs: strict mode, and `# exits N` lines checked for exactly N. */
export function script(body: string): string {
  const lines = body.split('\n').map((line) => {
    const expected = /^(.*\S)\s+# exits (\d+)\s*$/.exec(line);
    if (!expected) return line;
    const command = expected[1] ?? '';
    const code = expected[2] ?? '0';
    const quoted = `'${command.replace(/'/g, `'\\''`)}'`;
    return `__rc=0; ${command} || __rc=$?; if [ "$__rc" -ne ${code} ]; then echo "runbook: expected exit ${code}, got $__rc: "${quoted} >&2; exit 97; fi`;
  });
  return `set -euo pipefail\n${lines.join('\n')}`;
}
