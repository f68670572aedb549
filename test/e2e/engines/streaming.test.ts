/**
 * A migration file over the stream threshold (16 MiB, source/streamed.ts) through the built CLI on
 * every engine: it is read as it runs, never held whole, and checksummed on that pass; on
 * PostgreSQL its `COPY ... FROM stdin` block goes to the server as COPY data. The result must be
 * the one a file read whole gives: every row, the history row with its statement count and the
 * file's checksum (validate agrees), and the dry run says it streams. A small file's COPY block
 * (held whole) works the same. Speed and memory are measured by bench/large-file.mjs, not here.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, Project } from '../helpers.js';
import { createTarget, engineCases, type Engine } from './support.js';

const ROWS_PER_INSERT = 400;
const TARGET_BYTES = 17 * 1024 * 1024;
const COPY_ROWS = 2_000;

const CREATE: Record<Engine, string> = {
  postgres: 'CREATE TABLE big (id BIGINT PRIMARY KEY, name VARCHAR(100), amount NUMERIC(12,2));',
  mysql: 'CREATE TABLE big (id BIGINT PRIMARY KEY, name VARCHAR(100), amount DECIMAL(12,2));',
  sqlite: 'CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC);',
};

/** A file of about 17 MiB: CREATE TABLE, multi-row INSERTs (names with `''` and `;`), and on PostgreSQL a COPY block. */
function writeBigFile(file: string, engine: Engine): { rows: number; statements: number } {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let id = 0;
  let statements = 0;
  const write = (text: string): void => {
    fs.writeSync(fd, text);
    bytes += Buffer.byteLength(text);
  };
  write(`${CREATE[engine]}\n`);
  statements += 1;
  if (engine === 'postgres') {
    write('COPY big (id, name, amount) FROM stdin;\n');
    for (let i = 0; i < COPY_ROWS; i++) write(`${++id}\tcopied; it's row ${id}\t${id % 1000}.50\n`);
    write('\\.\n');
    statements += 1;
  }
  while (bytes < TARGET_BYTES) {
    const values: string[] = [];
    for (let i = 0; i < ROWS_PER_INSERT; i++) values.push(`(${++id}, 'it''s; row ${id}', ${id % 1000}.25)`);
    write(`INSERT INTO big (id, name, amount) VALUES\n${values.join(',\n')};\n`);
    statements += 1;
  }
  fs.closeSync(fd);
  return { rows: id, statements };
}

const cases = await engineCases(['postgres', 'mysql', 'sqlite']);

describe.concurrent('a migration file too large to hold', () => {
  for (const engineCase of cases) {
    const { engine } = engineCase;
    it.skipIf(engineCase.skip !== undefined)(`${engine}: streams it, applies every row, and records the checksum of the whole file`, { timeout: 180_000 }, async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      const file = project.write('V1__big.sql', '');
      const { rows, statements } = writeBigFile(file, engine);
      project.write('V2__after.sql', 'CREATE TABLE after_big (id INT);\n');
      const target = await createTarget(engineCase, project, `streaming ${engine}`, { onTestFinished });
      const url = ['--url', target.url];

      const plan = await project.run(['plan', ...url]);
      expect(plan.code, plan.stderr).toBe(EXIT.ok);
      expect(plan.stdout).toMatch(new RegExp(`-- streamed: ${statements} statements \\(17 MiB\\) read from migrations/V1__big\\.sql as they run`));

      const up = await project.run(['up', ...url], { timeoutMs: 150_000 });
      expect(up.code, up.stderr).toBe(EXIT.ok);
      const [count] = await target.rows<{ n: number | string }>('SELECT COUNT(*) AS n FROM big');
      expect(Number(count?.n)).toBe(rows);
      const history = await target.history();
      expect(history.map((row) => `${row.version} ${row.state}`)).toEqual(['1 applied', '2 applied']);
      const [recorded] = await target.rows<{ checksum: string; statements_total: number | string }>(`SELECT checksum, statements_total FROM migrator_history WHERE version = '1'`);
      // The file has no BOM and no CR: its checksum is the sha256 of its bytes.
      expect(recorded?.checksum).toBe(`sha256v1:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`);
      expect(Number(recorded?.statements_total)).toBe(statements);

      const validate = await project.run(['validate', ...url]);
      expect(validate.code, validate.stderr).toBe(EXIT.ok);
      expect(fs.existsSync(path.join(project.dir, 'migrations', 'V1__big.sql'))).toBe(true);
    });
  }

  const postgres = cases.find((c) => c.engine === 'postgres');
  if (postgres) {
    it.skipIf(postgres.skip !== undefined)('postgres: a small file\'s COPY block (read whole) is sent as COPY data; a bad row fails the migration with the server\'s message, nothing of it kept', async ({ onTestFinished }) => {
      const project = new Project({ onTestFinished });
      project.write('V1__seed.sql', 'CREATE TABLE seed (id INT PRIMARY KEY, note TEXT);\nCOPY seed (id, note) FROM stdin;\n1\tsemi; colon\n2\t$$ dollar\n\\.\nINSERT INTO seed VALUES (3, \'after\');\n');
      const target = await createTarget(postgres, project, 'streaming copy', { onTestFinished });
      const up = await project.run(['up', '--url', target.url]);
      expect(up.code, up.stderr).toBe(EXIT.ok);
      expect(await target.rows('SELECT id, note FROM seed ORDER BY id')).toEqual([{ id: 1, note: 'semi; colon' }, { id: 2, note: '$$ dollar' }, { id: 3, note: 'after' }]);

      project.write('V2__bad.sql', 'COPY seed (id, note) FROM stdin;\n4\tfine\nfive\tnot a number\n\\.\n');
      const bad = await project.run(['up', '--url', target.url]);
      expect(bad.code).toBe(EXIT.migrationFailed);
      expect(bad.stderr).toMatch(/invalid input syntax for type integer: "five"/);
      expect(await target.rows('SELECT id FROM seed WHERE id = 4')).toEqual([]);
    });
  }
});
