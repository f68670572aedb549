/**
 * The block convention (blocks.ts), without a database: how blocks are parsed and selected, and that a
 * block fails on an unexpected exit and on a `# exits N` command that exits otherwise.
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { conventionProblems, parseBlocks, script, selects, uncovered } from './blocks.js';

const MD = [
  '# A runbook',
  '',
  '```sh',
  'migrate status',
  '```',
  '',
  '1. Indented, inside a list:',
  '',
  '   ```sh engine=postgres case=resume',
  '   migrate up --resume',
  '   ```',
  '',
  '```sql file=migrations/V1__a.sql engine=sqlite',
  'CREATE TABLE a (x INTEGER);',
  '```',
  '',
  '```text',
  'OK',
  '```',
  '',
].join('\n');

const bash = (body: string): number | null => spawnSync('bash', ['-c', script(body)], { cwd: os.tmpdir(), stdio: 'ignore' }).status;

describe('runbook harness', () => {
  it('parses fenced blocks, their attributes and indented bodies', () => {
    const blocks = parseBlocks(MD);
    expect(blocks.map((b) => [b.line, b.lang, b.attrs, b.body])).toEqual([
      [3, 'sh', {}, 'migrate status\n'],
      [9, 'sh', { engine: 'postgres', case: 'resume' }, 'migrate up --resume\n'],
      [13, 'sql', { file: 'migrations/V1__a.sql', engine: 'sqlite' }, 'CREATE TABLE a (x INTEGER);\n'],
      [17, 'text', {}, 'OK\n'],
    ]);
    expect(conventionProblems(blocks)).toEqual([]);
  });

  it('selects blocks by engine and case, and reports blocks no scenario runs', () => {
    const [plain, resume, edit, text] = parseBlocks(MD);
    const pgResume = { engine: 'postgres' as const, cases: ['resume'] };
    const sqlite = { engine: 'sqlite' as const, cases: [] };
    expect([plain, resume, edit, text].map((b) => b !== undefined && selects(pgResume, b))).toEqual([true, true, false, false]);
    expect([plain, resume, edit, text].map((b) => b !== undefined && selects(sqlite, b))).toEqual([true, false, true, false]);
    expect(uncovered(parseBlocks(MD), [sqlite]).map((b) => b.line)).toEqual([9]);
  });

  it('refuses console blocks and commands shown in text blocks', () => {
    const problems = conventionProblems(parseBlocks('```console\n$ migrate up\n```\n\n```text\n$ migrate status\n```\n\n```sh foo=1\nls\n```\n'));
    expect(problems).toHaveLength(3);
  });

  it('fails a block on an unexpected non-zero exit, in a pipeline or an unset variable too', () => {
    expect(bash('true\n')).toBe(0);
    expect(bash('false\necho never\n')).not.toBe(0);
    expect(bash('false | cat\n')).not.toBe(0);
    expect(bash('echo "$UNSET_RUNBOOK_VARIABLE"\n')).not.toBe(0);
  });

  it('accepts exactly the exit code a "# exits N" line announces', () => {
    expect(bash('(exit 6)   # exits 6\ntrue\n')).toBe(0);
    expect(bash('(exit 7)   # exits 6\n')).toBe(97);
    expect(bash('true   # exits 6\n')).toBe(97);
    expect(bash("echo 'it''s' | grep -q its   # exits 0\n")).toBe(0);
  });
});
