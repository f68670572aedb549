import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'parse-error');
}

describe('the layering of STYLE.md is enforced by lint', () => {
  it.each([
    ["import { openSqlite } from '../drivers/sqlite/driver.js';\nexport const x = openSqlite;", 'src/core/run/x.ts', 'no-restricted-imports'],
    ["import { createLogger } from '../observability/logger.js';\nexport const x = createLogger;", 'src/core/x.ts', 'no-restricted-imports'],
    ["import Database from 'better-sqlite3';\nexport const x = Database;", 'src/core/x.ts', 'no-restricted-imports'],
    ["import { pino } from 'pino';\nexport const x = pino;", 'src/core/x.ts', 'no-restricted-imports'],
    ['export const x = process.env.DATABASE_URL;', 'src/core/x.ts', 'no-restricted-globals'],
    ["console.log('hi');", 'src/core/x.ts', 'no-restricted-globals'],
    ["import { buildProgram } from '../../cli/program.js';\nexport const x = buildProgram;", 'src/drivers/sqlite/x.ts', 'no-restricted-imports'],
    ['process.exitCode = 3;', 'src/cli/commands/x.ts', 'no-restricted-properties'],
    ['process.exit(1);', 'src/cli/x.ts', 'no-restricted-properties'],
  ])('rejects %j in %s', async (code, file, rule) => {
    expect(await ruleIds(code, file)).toContain(rule);
  });

  it.each([
    ["import { MigratorError } from '../errors.js';\nexport const x = MigratorError;", 'src/core/run/x.ts'],
    ["import { MigratorError } from '../../core/errors.js';\nexport const x = MigratorError;", 'src/drivers/sqlite/x.ts'],
    ['process.exitCode = 3;', 'src/main.ts'],
  ])('accepts %j in %s', async (code, file) => {
    expect(await ruleIds(code, file)).toEqual([]);
  });
});
