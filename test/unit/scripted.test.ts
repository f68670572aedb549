import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/core/scripted.js';
import { loadScriptedMigration, type ModuleLoader } from '../../src/core/source/scripted.js';
import { checksumOf } from '../../src/core/source/checksum.js';
import { parseFileName } from '../../src/core/source/filenames.js';
import { v } from './plan-fixtures.js';

const tag = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings: [...strings], values });

describe('compileTemplate: ctx.sql templates become text plus bound parameters', () => {
  const cases = [
    { name: 'no values', t: tag`SELECT 1`, dollar: 'SELECT 1', question: 'SELECT 1', params: [] },
    { name: 'two values', t: tag`UPDATE t SET a = ${5} WHERE id = ${'x'}`, dollar: 'UPDATE t SET a = $1 WHERE id = $2', question: 'UPDATE t SET a = ? WHERE id = ?', params: [5, 'x'] },
    { name: 'value at the very start and end', t: tag`${1}${2}`, dollar: '$1$2', question: '??', params: [1, 2] },
    { name: 'an injection attempt stays a value', t: tag`INSERT INTO t VALUES (${"x'); DROP TABLE t; --"})`, dollar: 'INSERT INTO t VALUES ($1)', question: 'INSERT INTO t VALUES (?)', params: ["x'); DROP TABLE t; --"] },
    { name: 'null is bound as NULL', t: tag`UPDATE t SET a = ${null}`, dollar: 'UPDATE t SET a = $1', question: 'UPDATE t SET a = ?', params: [null] },
  ];
  it.each(cases)('$name', ({ t, dollar, question, params }) => {
    expect(compileTemplate(t.strings, t.values, 'dollar')).toEqual({ text: dollar, params });
    expect(compileTemplate(t.strings, t.values, 'question')).toEqual({ text: question, params });
  });

  it('refuses undefined, which is almost always a misspelt property', () => {
    const t = tag`UPDATE t SET a = ${1}, b = ${undefined}`;
    expect(() => compileTemplate(t.strings, t.values, 'question')).toThrow(/value 2 is undefined/);
  });
});

describe('file names of scripted migrations', () => {
  it.each(['V1__a.ts', 'V1.2__a.js', 'V3__a.mjs', 'V4__a.cjs'])('%s is a script', (name) => {
    const result = parseFileName(name);
    expect(result.kind === 'migration' && result.name.role).toBe('script');
  });
  it('U and R files are SQL only', () => {
    expect(parseFileName('U1__a.ts').kind).toBe('invalid');
    expect(parseFileName('R__a.ts').kind).toBe('invalid');
  });
});

describe('loadScriptedMigration', () => {
  const found = { file: 'migrations/V2__backfill.ts', absolute: '/p/migrations/V2__backfill.ts', version: v('2').version!, description: 'backfill' };
  const loader = (exports: Record<string, unknown>): ModuleLoader => async () => ({ exports });

  it('wraps up, down and verify as programs and checksums the whole text', async () => {
    const { migration, problems } = await loadScriptedMigration(found, 'text\r\n', loader({ up: () => 1, down: () => 2, verify: () => true }));
    expect(problems).toEqual([]);
    expect(migration).toMatchObject({ id: '2', kind: 'script', checksum: checksumOf('text\n'), downChecksum: undefined });
    expect(migration?.up.program?.entry).toBe('up');
    expect(migration?.up.statements).toEqual([]);
    expect(migration?.down?.program?.entry).toBe('down');
    expect(migration?.verify?.program?.entry).toBe('verify');
    expect(migration?.up.transactional).toBe(true);
  });

  it('reads CommonJS exports from default, and transaction = false', async () => {
    const { migration } = await loadScriptedMigration(found, '', loader({ default: { up: () => undefined, transaction: false } }));
    expect(migration?.up.transactional).toBe(false);
    expect(migration?.down).toBeUndefined();
  });

  it.each([
    [{}, /must export an up\(ctx\) function/],
    [{ up: 1 }, /export "up" is a number, not a function/],
    [{ up: () => 1, transaction: 'no' }, /export "transaction" must be true or false/],
  ])('refuses %j as E_PARSE', async (exports, message) => {
    const { migration, problems } = await loadScriptedMigration(found, '', loader(exports));
    expect(migration).toBeUndefined();
    expect(problems[0]?.code).toBe('E_PARSE');
    expect(problems[0]?.message).toMatch(message);
  });

  it('reports a load error at its file:line:column', async () => {
    const { problems } = await loadScriptedMigration(found, '', async () => ({ error: { message: 'syntax error: Unexpected token', line: 3, column: 7 } }));
    expect(problems[0]).toMatchObject({ code: 'E_PARSE', message: 'migrations/V2__backfill.ts:3:7: cannot load scripted migration: syntax error: Unexpected token', at: { file: found.file, line: 3, column: 7 } });
  });
});
