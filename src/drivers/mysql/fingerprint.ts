import { snapshotDigest } from '../../core/schema.js';
import type { MysqlSession } from './session.js';

// information_schema of the connection's database, migrator's own tables excluded. Routine,
// trigger and view bodies are digested rather than compared whole.
const FINGERPRINT_SQL = `SELECT line FROM (
  SELECT CONCAT('tbl ', TABLE_NAME, ' ', TABLE_TYPE) AS line FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrator!_%' ESCAPE '!'
  UNION ALL SELECT CONCAT('col ', TABLE_NAME, ' ', ORDINAL_POSITION, ' ', COLUMN_NAME, ' ', COLUMN_TYPE, ' ', IS_NULLABLE, ' ', COALESCE(COLUMN_DEFAULT, '-'), ' ', EXTRA)
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrator!_%' ESCAPE '!'
  UNION ALL SELECT CONCAT('idx ', TABLE_NAME, ' ', INDEX_NAME, ' ', SEQ_IN_INDEX, ' ', COLUMN_NAME, ' ', NON_UNIQUE)
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrator!_%' ESCAPE '!'
  UNION ALL SELECT CONCAT('fk ', TABLE_NAME, ' ', CONSTRAINT_NAME, ' ', CONSTRAINT_TYPE)
    FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrator!_%' ESCAPE '!'
  UNION ALL SELECT CONCAT('rtn ', ROUTINE_TYPE, ' ', ROUTINE_NAME, ' ', MD5(COALESCE(ROUTINE_DEFINITION, '')))
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
  UNION ALL SELECT CONCAT('trg ', EVENT_OBJECT_TABLE, ' ', TRIGGER_NAME, ' ', MD5(ACTION_STATEMENT))
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME NOT LIKE 'migrator!_%' ESCAPE '!'
  UNION ALL SELECT CONCAT('view ', TABLE_NAME, ' ', MD5(VIEW_DEFINITION))
    FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
) objects ORDER BY line`;

/** Implements `Driver.schemaSnapshot` for the connection's database. */
export async function schemaSnapshot(session: MysqlSession): Promise<ReadonlyArray<string>> {
  const rows = await session.rows<{ line: string }>(FINGERPRINT_SQL);
  return rows.map((row) => String(row.line));
}

/** Implements `Driver.schemaFingerprint`. */
export async function schemaFingerprint(session: MysqlSession): Promise<string> {
  return snapshotDigest(await schemaSnapshot(session));
}
