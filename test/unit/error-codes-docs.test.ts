/**
 * Every error code migrator can report is documented in docs/troubleshooting.md: a row of its
 * index table with the exit code the CLI really uses for it, and a section saying what it means
 * and what to do. New codes are covered automatically: the list comes from src/core/errors.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ExitCode, type ErrorCode } from '../../src/core/errors.js';

const TROUBLESHOOTING = fs.readFileSync(path.join(import.meta.dirname, '../../docs/troubleshooting.md'), 'utf8');

function exitText(code: ErrorCode): string {
  // SIGINT and SIGTERM end a run with different exit codes, one error code.
  if (code === 'E_INTERRUPTED') return `${ExitCode.interrupted} / ${ExitCode.terminated}`;
  return String(ExitCode[ErrorCodes[code]]);
}

describe('docs/troubleshooting.md', () => {
  const codes = Object.keys(ErrorCodes) as ErrorCode[];

  it('lists every error code in its index with the exit code the CLI uses', () => {
    const wrong = codes.flatMap((code) => {
      const row = new RegExp(`^\\| \`${code}\` \\| ([^|]+) \\|`, 'm').exec(TROUBLESHOOTING);
      if (!row) return [`${code}: no row in the index table`];
      return row[1]?.trim() === exitText(code) ? [] : [`${code}: the table says exit ${row[1]?.trim() ?? ''}, the CLI exits ${exitText(code)}`];
    });
    expect(wrong).toEqual([]);
  });

  it('has a section for every error code', () => {
    const missing = codes.filter((code) => !new RegExp(`^### ${code}$`, 'm').test(TROUBLESHOOTING));
    expect(missing).toEqual([]);
  });
});
