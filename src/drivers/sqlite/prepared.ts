/**
 * Prepared statements kept per connection: preparing costs more than running one small write, and
 * a run writes the same few statements once per migration (docs/performance.md).
 */
import type Database from 'better-sqlite3';

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** `db.prepare(sql)`, once per connection and text. SQLite prepares it again by itself after a schema change. */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let statements = cache.get(db);
  if (statements === undefined) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
