/**
 * The recorded schema snapshot of the MySQL driver (docs/drift.md): one row of migrator_meta, its
 * text encoded by the core. The value column was TEXT (64 KB) before it held snapshots: a server
 * without a strict sql_mode would cut a longer record short, silently. It is widened to LONGTEXT.
 */
import { MigratorError } from '../../core/errors.js';
import type { RecordedSchema } from '../../core/ports.js';
import { SCHEMA_KEY, TABLES, decodeRecordedSchema, encodeRecordedSchema } from '../../core/metadata.js';
import type { MysqlSession } from './session.js';

/** The most a TEXT column holds, in bytes. */
const TEXT_BYTES = 65_535;

/** DATA_TYPE of migrator_meta.value (`longtext`, `text`), `undefined` when the table does not exist. */
async function valueType(session: MysqlSession): Promise<string | undefined> {
  const type = await session.value(`SELECT DATA_TYPE FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'value'`, [TABLES.meta]);
  return type === undefined || type === null ? undefined : String(type).toLowerCase();
}

/**
 * Called by prepareMetadata after the tables exist: widens migrator_meta.value to LONGTEXT once
 * (the catalogue is asked first, so the ALTER and its implicit commit run only on old tables).
 * Without the ALTER privilege (1142) the column is left as it is, and `recordSchema` refuses a
 * record too long for it rather than stop the run here.
 */
export async function widenMetaValue(session: MysqlSession): Promise<void> {
  if ((await valueType(session)) === 'longtext') return;
  try {
    await session.run(`ALTER TABLE ${TABLES.meta} MODIFY value LONGTEXT NOT NULL`);
  } catch (error) {
    if ((error as { errno?: unknown }).errno !== 1142) throw error;
  }
}

/** Implements `Driver.readRecordedSchema`: never creates anything; absent table or row read as undefined. */
export async function readRecordedSchema(session: MysqlSession): Promise<RecordedSchema | undefined> {
  const present = await session.value('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [TABLES.meta]);
  if (present === undefined) return undefined;
  return decodeRecordedSchema(await session.value(`SELECT value FROM ${TABLES.meta} WHERE \`key\` = ?`, [SCHEMA_KEY]));
}

/**
 * Implements `Driver.recordSchema` without the fencing (the driver adds it): upsert of the one row.
 * @throws MigratorError E_PRIVILEGE when the record is longer than a column left as TEXT holds.
 */
export async function recordSchema(session: MysqlSession, record: RecordedSchema): Promise<void> {
  const value = encodeRecordedSchema(record);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > TEXT_BYTES && (await valueType(session)) !== 'longtext') {
    throw new MigratorError('E_PRIVILEGE', `cannot record the schema snapshot: it takes ${bytes} bytes, and ${TABLES.meta}.value is still TEXT (64 KB) because this user may not ALTER it`, {
      hint: `Run "ALTER TABLE ${TABLES.meta} MODIFY value LONGTEXT NOT NULL" once as a user with ALTER on the database, or grant ALTER to this user for one run.`,
    });
  }
  await session.run(`INSERT INTO ${TABLES.meta} (\`key\`, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = ?`, [SCHEMA_KEY, value, value]);
}
