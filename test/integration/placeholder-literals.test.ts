/**
 * Literal and identifier placeholders read back by the real engines: each payload of the injection
 * corpus, rendered by quoteLiteral / quoteIdentifier, is sent as `SELECT <literal> AS <identifier>`
 * and must come back as exactly one row, one column, holding the payload. SQLite always; PostgreSQL
 * and MariaDB when a server is reachable (test/support/databases.ts).
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteLiteral } from '../../src/core/source/placeholders.js';
import { mysqlSyntax } from '../../src/drivers/mysql/syntax.js';
import { postgresSyntax } from '../../src/drivers/postgres/syntax.js';
import { sqliteSyntax } from '../../src/drivers/sqlite/syntax.js';
import { findServer } from '../support/databases.js';

const PAYLOADS = ["'; DROP TABLE x; --", "O'Brien", "\\'; SELECT 1; --", '\\', 'a\\', "$$ x $$", '$t$ x $t$', '/* open', '-- rest', '# rest', 'a"b`c]', 'line1\nline2', "x'\n; y", 'é ✓ 𝄞'];
const sql = (syntax: typeof sqliteSyntax, value: string) => `SELECT ${quoteLiteral(value, syntax)} AS ${quoteIdentifier('v', syntax)}`;

describe('literal placeholders read back by the engine', () => {
  it('SQLite', () => {
    const db = new Database(':memory:');
    for (const value of PAYLOADS) expect(db.prepare(sql(sqliteSyntax, value)).all()).toEqual([{ v: value }]);
    db.close();
  });

  it('PostgreSQL', async ({ skip }) => {
    const found = await findServer('postgres');
    if (!found.server) return skip(found.skip);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: found.server.url });
    await client.connect();
    try {
      for (const off of ['on', 'off']) {
        // The E'' form for backslashes reads the same whatever standard_conforming_strings says.
        await client.query(`SET standard_conforming_strings = ${off}`);
        for (const value of PAYLOADS) expect((await client.query(sql(postgresSyntax, value))).rows).toEqual([{ v: value }]);
      }
    } finally {
      await client.end();
    }
  });

  it('MariaDB / MySQL (default sql_mode)', async ({ skip }) => {
    const found = await findServer('mysql');
    if (!found.server) return skip(found.skip);
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection({ uri: found.server.url, multipleStatements: false });
    try {
      for (const value of PAYLOADS) expect((await connection.query(sql(mysqlSyntax, value)))[0]).toEqual([{ v: value }]);
    } finally {
      await connection.end();
    }
  });
});
