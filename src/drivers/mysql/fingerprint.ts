import { snapshotDigest } from '../../core/schema.js';
import type { DdlScope } from '../../core/ports.js';
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

const ROUTINE_LINE = `SELECT CONCAT('rtn ', ROUTINE_TYPE, ' ', ROUTINE_NAME, ' ', MD5(COALESCE(ROUTINE_DEFINITION, ''))) AS line
  FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = ?`;
const TRIGGER_LINE = `SELECT CONCAT('trg ', EVENT_OBJECT_TABLE, ' ', TRIGGER_NAME, ' ', MD5(ACTION_STATEMENT)) AS line
  FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?`;

/**
 * One table or view as SHOW CREATE TABLE prints it (columns, indexes, constraints, options), its
 * AUTO_INCREMENT counter left out (rows move it); `absent` (or the error) when it cannot be shown.
 */
async function showCreate(session: MysqlSession, name: string): Promise<string> {
  try {
    const [rows] = await session.run(`SHOW CREATE TABLE \`${name.replaceAll('`', '``')}\``, undefined, true);
    const definition = String((rows as unknown[][])[0]?.[1] ?? '');
    return definition.replace(/ AUTO_INCREMENT=\d+/u, '');
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (errno === 1146) return 'absent';
    if (typeof errno === 'number' && !session.dead) return `error ${errno}`;
    throw error;
  }
}

/**
 * Implements `Driver.schemaFingerprint`. With a scope, only its objects, each read where MySQL
 * finds it without opening every table of the database: SHOW CREATE TABLE for each table or
 * view, and information_schema filtered by equality (which MySQL and MariaDB look up directly)
 * for routines and the triggers of tables. The whole schema's information_schema costs tens of
 * milliseconds per thousand tables: before every DDL statement, that grew with each migration.
 */
export async function schemaFingerprint(session: MysqlSession, scope?: DdlScope): Promise<string> {
  if (scope === undefined) return snapshotDigest(await schemaSnapshot(session));
  const lines: string[] = [];
  for (const table of scope.tables) lines.push(`tbl ${table} ${await showCreate(session, table)}`);
  const queries = [...scope.routines.map(() => ROUTINE_LINE), ...scope.triggersOf.map(() => TRIGGER_LINE)];
  if (queries.length > 0) {
    const rows = await session.column(`SELECT line FROM (${queries.join(' UNION ALL ')}) objects`, [...scope.routines, ...scope.triggersOf]);
    lines.push(...rows.map(String));
  }
  return snapshotDigest(lines.sort());
}
