/**
 * MySQL only: metadata tables made by a migrator before drift checks have migrator_meta.value as
 * TEXT (64 KB). prepareMetadata widens it to LONGTEXT once where the user may ALTER it, so a large
 * schema snapshot is kept whole; where it may not, a record too long for TEXT is refused rather than
 * cut short by a server without a strict sql_mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import type { Driver } from '../../src/core/ports.js';
import { snapshotDigest } from '../../src/core/schema.js';
import { openMysql } from '../../src/drivers/mysql/driver.js';
import { admin, createDatabase, findServer, type TestDatabase } from '../support/databases.js';

const { server, skip } = await findServer('mysql');
if (skip !== undefined) console.warn(skip);

describe.skipIf(!server)('MySQL migrator_meta.value', () => {
  let database: TestDatabase | undefined;
  let driver: Driver | undefined;
  let user: string | undefined;
  afterEach(async () => {
    await driver?.close();
    await database?.drop();
    if (server && user) await admin(server, `DROP USER IF EXISTS '${user}'@'%'`);
    driver = undefined;
    database = undefined;
    user = undefined;
  });

  async function oldMetaTable(url: string): Promise<void> {
    const connection = await mysql.createConnection({ uri: url });
    await connection.query('CREATE TABLE migrator_meta (`key` VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin');
    await connection.query(`INSERT INTO migrator_meta (\`key\`, value) VALUES ('format', '1')`);
    await connection.end();
  }

  const open = (url: string): Promise<Driver> => openMysql({ url, readOnly: false, lockStrategy: 'advisory', ddlLockTimeoutMs: 5_000, statementTimeoutMs: undefined, applicationName: 'migrator test' });
  const recordOf = (lines: string[]) => ({ fingerprint: snapshotDigest(lines), lines, at: '2026-01-01T00:00:00.000Z', runId: 'run-1', version: '1', toolVersion: '0.1.0' });

  async function columnType(url: string): Promise<string> {
    const connection = await mysql.createConnection({ uri: url });
    try {
      const [rows] = await connection.query(`SELECT DATA_TYPE AS type FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'migrator_meta' AND COLUMN_NAME = 'value'`);
      return String((rows as Array<{ type: unknown }>)[0]?.type).toLowerCase();
    } finally {
      await connection.end();
    }
  }

  it('is widened from TEXT to LONGTEXT by prepareMetadata, keeping its rows, and then holds a large snapshot', async () => {
    if (!server) throw new Error('no MySQL server');
    database = await createDatabase(server, 'meta widen');
    await oldMetaTable(database.url);
    expect(await columnType(database.url)).toBe('text');

    driver = await open(database.url);
    await driver.prepareMetadata(1);
    expect(await columnType(database.url)).toBe('longtext');
    expect((await driver.readState()).format).toBe(1);
    const record = recordOf(Array.from({ length: 2000 }, (_, i) => `col t_${i} ${'x'.repeat(60)}`));
    await driver.recordSchema(record);
    expect(await driver.readRecordedSchema()).toEqual(record);
    await driver.prepareMetadata(1);
    expect(await driver.readRecordedSchema()).toEqual(record);
  });

  it('is left as TEXT for a user without ALTER: small records still fit, a too long one is refused, never cut short', async () => {
    if (!server) throw new Error('no MySQL server');
    database = await createDatabase(server, 'meta no alter');
    await oldMetaTable(database.url);
    user = `mt_noalter_${process.pid}`;
    await admin(server, `CREATE USER '${user}'@'%'`);
    await admin(server, `GRANT CREATE, SELECT, INSERT, UPDATE, TRIGGER ON \`${database.name}\`.* TO '${user}'@'%'`);
    const url = new URL(database.url);
    url.username = user;
    url.password = '';
    driver = await open(url.toString());
    await driver.prepareMetadata(1);
    expect(await columnType(database.url)).toBe('text');
    const small = recordOf(['tbl t BASE TABLE']);
    await driver.recordSchema(small);
    expect(await driver.readRecordedSchema()).toEqual(small);
    await expect(driver.recordSchema(recordOf(Array.from({ length: 2000 }, (_, i) => `col t_${i} ${'x'.repeat(60)}`)))).rejects.toMatchObject({ code: 'E_PRIVILEGE', message: expect.stringContaining('still TEXT') });
    expect(await driver.readRecordedSchema()).toEqual(small);
  });
});
