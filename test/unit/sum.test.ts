import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, MigratorError } from '../../src/core/errors.js';
import {
  addToSum, checkSum, compareSum, computeSum, hashFile, parseSum, readSumInputs, sumEntryPath, sumFileExists, sumPath, type SumInput,
} from '../../src/core/source/sum.js';

const b64 = (text: string) => `h1:${createHash('sha256').update(text, 'utf8').digest('base64')}`;

const v1 = { path: 'V1__create_users.sql', text: 'CREATE TABLE users (id int);\n' };
const v2 = { path: 'V2__add_email.sql', text: 'ALTER TABLE users ADD email text;\n' };
const u2 = { path: 'U2__add_email.sql', text: 'ALTER TABLE users DROP email;\n' };
const r = { path: 'R__views.sql', text: 'CREATE VIEW v AS SELECT 1;\n' };
const sub = { path: 'sub/V3__x.sql', text: 'SELECT 3;\n' };
const other = { path: '../other/V9__y.sql', text: 'SELECT 9;\n' };
const v4 = { path: 'V4__x.sql', text: 'SELECT 4;\n' };
const base: SumInput[] = [v1, v2, u2, r, sub, other];

const lines = (sum: string) => sum.split('\n').slice(0, -1);
const messages = (problems: ReadonlyArray<{ message: string }>) => problems.map((p) => p.message);

describe('computeSum', () => {
  it('writes line 1 = h1 of the listing below, then one "<path> h1:<hash>" line per file, sorted by path', () => {
    const sum = computeSum(base);
    expect(sum.endsWith('\n')).toBe(true);
    const [header, ...entries] = lines(sum);
    expect(entries.map((line) => line.split(' ')[0])).toEqual(['../other/V9__y.sql', 'R__views.sql', 'U2__add_email.sql', 'V1__create_users.sql', 'V2__add_email.sql', 'sub/V3__x.sql']);
    expect(header).toBe(b64(entries.map((line) => `${line}\n`).join('')));
    expect(entries).toContain(`V1__create_users.sql ${b64(v1.text)}`);
    for (const line of [header, ...entries]) expect(line).toMatch(/h1:[A-Za-z0-9+/]{43}=$/);
  });

  it.each([
    ['the same files', [v1, v2], [v1, v2]],
    ['the files in another order', [v1, v2, r, sub], [sub, r, v2, v1]],
    ['CRLF line endings', [v1], [{ ...v1, text: v1.text.replace(/\n/g, '\r\n') }]],
    ['lone CR line endings', [v1], [{ ...v1, text: v1.text.replace(/\n/g, '\r') }]],
    ['a UTF-8 BOM', [v1], [{ ...v1, text: `\uFEFF${v1.text}` }]],
  ])('gives the same sum for %s', (_name, a, b) => {
    expect(computeSum(b)).toBe(computeSum(a));
  });

  it.each([
    ['one byte of a file changes', [v1, v2], [v1, { ...v2, text: v2.text.replace('email', 'mail') }]],
    ['a file is added', [v1, v2], [v1, v2, v4]],
    ['a file is removed', [v1, v2], [v1]],
    ['a file is renamed', [v1, v2], [v1, { ...v2, path: 'V2__add_mail.sql' }]],
    ['trailing whitespace is added', [v1], [{ ...v1, text: `${v1.text} ` }]],
  ])('changes line 1 when %s', (_name, a, b) => {
    expect(lines(computeSum(b))[0]).not.toBe(lines(computeSum(a))[0]);
  });

  it('writes just the header for no files', () => {
    expect(computeSum([])).toBe(`${b64('')}\n`);
  });

  it('hashes files like checksums normalise them', () => {
    expect(hashFile('\uFEFFa\r\nb\rc\n')).toBe(b64('a\nb\nc\n'));
  });

  it('refuses duplicate paths and paths with line breaks (caller bugs)', () => {
    expect(() => computeSum([v1, v1])).toThrow(TypeError);
    expect(() => computeSum([{ path: 'V1__a\nb.sql', text: '' }])).toThrow(TypeError);
  });

  it('keeps file names with spaces parseable', () => {
    const sum = computeSum([{ path: 'V1__add users.sql', text: 'x' }]);
    expect(parseSum(sum)).toMatchObject({ intact: true, malformed: [], entries: [{ path: 'V1__add users.sql', hash: b64('x'), line: 2 }] });
  });
});

describe('parseSum', () => {
  it('reads what computeSum writes, and tolerates a Windows checkout (BOM, CRLF)', () => {
    const sum = computeSum(base);
    for (const text of [sum, sum.replace(/\n/g, '\r\n'), `\uFEFF${sum}`, sum.slice(0, -1)]) {
      const parsed = parseSum(text);
      expect(parsed.malformed).toEqual([]);
      expect(parsed.intact).toBe(true);
      expect(parsed.sum).toBe(lines(sum)[0]);
      expect(parsed.entries.map((e) => e.path)).toEqual(lines(sum).slice(1).map((l) => l.split(' ')[0]));
    }
  });
});

describe('compareSum', () => {
  const expected = computeSum(base);

  it('finds nothing when the files match', () => {
    expect(compareSum(expected, computeSum([...base].reverse()), 'migrator.sum')).toEqual([]);
    expect(compareSum(expected.replace(/\n/g, '\r\n'), computeSum(base), 'migrator.sum')).toEqual([]);
  });

  it.each<[string, SumInput[], string[]]>([
    ['a file added without updating the sum', [...base, v4], ['V4__x.sql is not in migrator.sum: run "migrate hash"']],
    ['a file removed', base.filter((f) => f !== v2), ['V2__add_email.sql is listed in migrator.sum (line 6) but does not exist']],
    ['a file edited', base.map((f) => (f === v2 ? { ...f, text: 'ALTER TABLE users ADD mail text;\n' } : f)), ['V2__add_email.sql changed since migrator.sum was written']],
    ['a file in a subdirectory edited', base.map((f) => (f === sub ? { ...f, text: 'SELECT 33;\n' } : f)), ['sub/V3__x.sql changed since migrator.sum was written']],
    ['a file of another directory edited', base.map((f) => (f === other ? { ...f, text: 'SELECT 99;\n' } : f)), ['../other/V9__y.sql changed since migrator.sum was written']],
    ['a file renamed', base.map((f) => (f === r ? { ...f, path: 'R__views2.sql' } : f)), ['R__views.sql is listed in migrator.sum (line 3) but does not exist', 'R__views2.sql is not in migrator.sum: run "migrate hash"']],
    [
      'several at once, reported by path',
      [...base.filter((f) => f !== u2).map((f) => (f === v1 ? { ...f, text: 'x' } : f)), v4],
      ['U2__add_email.sql is listed in migrator.sum (line 4) but does not exist', 'V1__create_users.sql changed since migrator.sum was written', 'V4__x.sql is not in migrator.sum: run "migrate hash"'],
    ],
  ])('reports %s', (_name, now, expectedMessages) => {
    const problems = compareSum(expected, computeSum(now), 'migrator.sum');
    expect(messages(problems)).toEqual(expectedMessages);
    for (const problem of problems) {
      expect(problem.code).toBe('E_SUM_MISMATCH');
      expect(problem.hint).toMatch(/migrate hash/);
    }
  });

  it('maps E_SUM_MISMATCH to exit category invalidFiles (exit 5)', () => {
    expect(ErrorCodes.E_SUM_MISMATCH).toBe('invalidFiles');
  });

  it('names files next to the sum file and says where they are', () => {
    const problems = compareSum(expected, computeSum([...base.map((f) => (f === v1 ? { ...f, text: 'x' } : f)), v4]), path.join('db', 'migrator.sum'));
    expect(messages(problems)).toEqual([
      `${path.join('db', 'V1__create_users.sql')} changed since ${path.join('db', 'migrator.sum')} was written`,
      `${path.join('db', 'V4__x.sql')} is not in ${path.join('db', 'migrator.sum')}: run "migrate hash"`,
    ]);
    expect(problems[0]?.at).toEqual({ file: path.join('db', 'V1__create_users.sql') });
    expect(problems[0]?.details).toEqual({ file: 'V1__create_users.sql', expected: b64(v1.text), actual: b64('x') });
  });

  describe('a sum file edited by hand', () => {
    const [header = '', ...entries] = lines(expected);
    const edited = (newLines: string[]) => `${newLines.join('\n')}\n`;
    const v2Line = entries.findIndex((l) => l.startsWith('V2__'));

    it.each<[string, string, string[]]>([
      ['its lines reordered', edited([header, ...[...entries].reverse()]), ['migrator.sum was edited by hand: its first line does not match the lines below it']],
      ['a line removed', edited([header, ...entries.filter((_, i) => i !== v2Line)]), [
        'migrator.sum was edited by hand: its first line does not match the lines below it',
        'V2__add_email.sql is not in migrator.sum: run "migrate hash"',
      ]],
      ['line 1 replaced by another valid hash', edited([b64('other'), ...entries]), ['migrator.sum was edited by hand: its first line does not match the lines below it']],
    ])('is reported when %s', (_name, text, expectedMessages) => {
      expect(messages(compareSum(text, computeSum(base), 'migrator.sum'))).toEqual(expectedMessages);
    });

    it('is reported when a line is rewritten to accept an edited file (the file itself then matches)', () => {
      const now = base.map((f) => (f === v2 ? { ...f, text: 'DROP TABLE users;\n' } : f));
      const forged = edited([header, ...entries.map((l, i) => (i === v2Line ? `V2__add_email.sql ${b64('DROP TABLE users;\n')}` : l))]);
      const problems = compareSum(forged, computeSum(now), 'migrator.sum');
      expect(messages(problems)).toEqual(['migrator.sum was edited by hand: its first line does not match the lines below it']);
      expect(problems[0]?.at).toEqual({ file: 'migrator.sum', line: 1 });
    });
  });

  describe('malformed lines, each with its line number', () => {
    const [header = '', first = '', ...rest] = lines(expected);
    const text = (...newLines: string[]) => `${newLines.join('\n')}\n`;

    it.each<[string, string, string[]]>([
      ['an empty file', '', ['migrator.sum line 1: the file is empty: expected "h1:<hash>" on line 1']],
      ['a bad header', text('sha256:abc', first, ...rest), ['migrator.sum line 1: expected "h1:<hash>" (the hash of the lines below)']],
      ['a line without hash', text(header, first, 'V7__x.sql', ...rest), ['migrator.sum line 3: expected "<file> h1:<hash>"']],
      ['a truncated hash', text(header, first.slice(0, -5), ...rest), ['migrator.sum line 2: expected "<file> h1:<hash>"']],
      ['an empty line', text(header, '', first, ...rest), ['migrator.sum line 2: empty line']],
      ['trailing whitespace', text(header, `${first} `, ...rest), ['migrator.sum line 2: expected "<file> h1:<hash>"']],
      ['a file listed twice', text(header, first, first, ...rest), [`migrator.sum line 3: ${first.split(' ')[0] ?? ''} is listed twice (also on line 2)`]],
      ['merge conflict markers', text('<<<<<<< HEAD', header, first, '=======', b64('theirs'), '>>>>>>> feature', ...rest), [
        'migrator.sum line 1: unresolved git merge conflict marker',
        'migrator.sum line 2: expected "<file> h1:<hash>"',
        'migrator.sum line 4: unresolved git merge conflict marker',
        'migrator.sum line 5: expected "<file> h1:<hash>"',
        'migrator.sum line 6: unresolved git merge conflict marker',
      ]],
    ])('%s', (_name, sumText, expectedMessages) => {
      const problems = compareSum(sumText, computeSum(base), 'migrator.sum');
      const malformed = problems.filter((p) => p.at?.file === 'migrator.sum' && p.at.line !== undefined && !p.message.includes('is listed in'));
      expect(messages(malformed)).toEqual(expectedMessages);
      expect(malformed.every((p) => p.code === 'E_SUM_MISMATCH' && p.at?.line === Number(/line (\d+)/.exec(p.message)?.[1]))).toBe(true);
      expect(problems.some((p) => p.message.includes('edited by hand'))).toBe(false);
    });

    it('still compares the well-formed lines with the files', () => {
      const problems = compareSum(text(header, 'garbage', ...rest), computeSum(base), 'migrator.sum');
      expect(messages(problems)).toEqual(['migrator.sum line 2: expected "<file> h1:<hash>"', `${first.split(' ')[0] ?? ''} is not in migrator.sum: run "migrate hash"`]);
    });

    it('hints at resolving a merge conflict with "migrate hash"', () => {
      const [problem] = compareSum(text('<<<<<<< HEAD', header), computeSum([]), 'migrator.sum');
      expect(problem?.hint).toMatch(/Keep both sets of migration files.*migrate hash/);
    });
  });
});

describe('addToSum', () => {
  const existing = computeSum([v1, v2]);

  it('adds the new file, keeps every other line as recorded and recomputes line 1', () => {
    const editedV1 = { ...v1, text: 'edited, never hashed' };
    const next = addToSum(existing, [v4], 'migrator.sum');
    expect(next).toBe(computeSum([v1, v2, v4]));
    // An unhashed edit of another file is not accepted by adding a file.
    expect(messages(compareSum(next, computeSum([editedV1, v2, v4]), 'migrator.sum'))).toEqual(['V1__create_users.sql changed since migrator.sum was written']);
    expect(parseSum(next).intact).toBe(true);
  });

  it('refuses a malformed or hand-edited sum', () => {
    expect(() => addToSum('<<<<<<< HEAD\n', [v4], 'migrator.sum')).toThrow(MigratorError);
    const [, ...entries] = lines(existing);
    expect(() => addToSum(`${b64('x')}\n${entries.join('\n')}\n`, [v4], 'migrator.sum')).toThrow(/edited by hand/);
  });
});

describe('on disk: readSumInputs, sumPath, checkSum, sumFileExists', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function project(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'migrator-sum-'));
    dirs.push(root);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), content);
    }
    return root;
  }

  const files = {
    'migrations/V1__a.sql': 'SELECT 1;\r\n',
    'migrations/U1__a.sql': 'SELECT -1;\n',
    'migrations/R__v.sql': 'SELECT 0;\n',
    'migrations/V2__script.ts': 'export {};\n',
    'migrations/sub/V3__c.sql': 'SELECT 3;\n',
    'migrations/README.md': 'not a migration',
    'migrations/.V5__hidden.sql': 'hidden',
    'migrations/v6_bad_name.sql': 'reported by the loader, not hashed',
    'other/V9__d.sql': 'SELECT 9;\n',
  };

  it('lists every migration of every directory relative to the first, with "/" separators', async () => {
    const cwd = project(files);
    const inputs = await readSumInputs(['migrations', 'other', path.join(cwd, 'migrations', 'sub'), 'missing'], cwd);
    expect(inputs).toEqual([
      { path: '../other/V9__d.sql', text: 'SELECT 9;\n' },
      { path: 'R__v.sql', text: 'SELECT 0;\n' },
      { path: 'U1__a.sql', text: 'SELECT -1;\n' },
      { path: 'V1__a.sql', text: 'SELECT 1;\r\n' },
      { path: 'V2__script.ts', text: 'export {};\n' },
      { path: 'sub/V3__c.sql', text: 'SELECT 3;\n' },
    ]);
    expect(sumPath(['migrations', 'other'], cwd)).toBe(path.join(cwd, 'migrations', 'migrator.sum'));
    expect(sumPath([], cwd)).toBe(path.join(cwd, 'migrations', 'migrator.sum'));
    expect(sumEntryPath(['migrations'], cwd, path.join(cwd, 'migrations', 'sub', 'V3__c.sql'))).toBe('sub/V3__c.sql');
  });

  it('checkSum: [] without a sum file (opt-in), [] when it matches, precise problems when not', async () => {
    const cwd = project(files);
    const configured = ['migrations', 'other'];
    expect(await sumFileExists(configured, cwd)).toBe(false);
    expect(await checkSum(configured, cwd)).toEqual([]);

    writeFileSync(sumPath(configured, cwd), computeSum(await readSumInputs(configured, cwd)));
    expect(await sumFileExists(configured, cwd)).toBe(true);
    expect(await checkSum(configured, cwd)).toEqual([]);

    writeFileSync(path.join(cwd, 'other', 'V9__d.sql'), 'SELECT 99;\n');
    writeFileSync(path.join(cwd, 'migrations', 'V4__new.sql'), 'SELECT 4;\n');
    const problems = await checkSum(configured, cwd);
    expect(messages(problems)).toEqual([
      `${path.join('other', 'V9__d.sql')} changed since ${path.join('migrations', 'migrator.sum')} was written`,
      `${path.join('migrations', 'V4__new.sql')} is not in ${path.join('migrations', 'migrator.sum')}: run "migrate hash"`,
    ]);
    expect(problems.map((p) => p.code)).toEqual(['E_SUM_MISMATCH', 'E_SUM_MISMATCH']);
  });
});
