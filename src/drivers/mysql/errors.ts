/**
 * Translates mysql2 errors into the core's `EngineErrorInfo`: the server's message, a code, where in
 * the statement the server pointed, and whether the failure is a lock timeout or a lost connection.
 */
import { MigratorError } from '../../core/errors.js';
import type { EngineErrorInfo, EngineErrorKind } from '../../core/ports.js';

interface MysqlClientError {
  readonly message?: unknown;
  readonly sqlMessage?: unknown;
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly fatal?: unknown;
}

// ER_LOCK_WAIT_TIMEOUT: raised for row locks (innodb_lock_wait_timeout) and for metadata locks
// (lock_wait_timeout) alike, so a DDL that waited too long behind a transaction lands here.
// Deadlocks (1213) are not retryable this way: InnoDB already rolled the transaction back.
const LOCK_TIMEOUT_ERRNOS = new Set([1205]);

// 1053 ER_SERVER_SHUTDOWN, 1927 ER_CONNECTION_KILLED (MariaDB: the session was KILLed),
// 2006 CR_SERVER_GONE_ERROR, 2013 CR_SERVER_LOST.
const CONNECTION_LOST_ERRNOS = new Set([1053, 1927, 2006, 2013]);
// ER_PARSE_ERROR and ER_SYNTAX_ERROR: the ones whose message says `near '...' at line N`.
const SYNTAX_ERRNOS = new Set([1064, 1149]);

const CONNECTION_LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED']);

function kindOf(error: MysqlClientError): EngineErrorKind {
  if (error instanceof MigratorError) return error.code === 'E_CONNECT' ? 'connection_lost' : 'other';
  const errno = typeof error.errno === 'number' ? error.errno : undefined;
  if (errno !== undefined && LOCK_TIMEOUT_ERRNOS.has(errno)) return 'lock_timeout';
  if (errno !== undefined && CONNECTION_LOST_ERRNOS.has(errno)) return 'connection_lost';
  if (typeof error.code === 'string' && CONNECTION_LOST_CODES.has(error.code)) return 'connection_lost';
  // mysql2 marks every error after which the connection is unusable as fatal.
  return error.fatal === true ? 'connection_lost' : 'other';
}

/**
 * `ER_PARSE_ERROR (1064)`: mysql2's symbolic name and the server's errno. MariaDB-only errnos
 * (1969, max_statement_time exceeded) have no name in mysql2: the errno alone. Client errors
 * (PROTOCOL_CONNECTION_LOST, ECONNRESET) have no errno: the name alone.
 */
function codeOf(error: MysqlClientError): string | undefined {
  const name = typeof error.code === 'string' ? error.code : undefined;
  const errno = typeof error.errno === 'number' && error.errno > 0 ? error.errno : undefined;
  if (name !== undefined && errno !== undefined) return `${name} (${errno})`;
  return name ?? (errno === undefined ? undefined : String(errno));
}

/**
 * Where a syntax error is: MySQL says `... near '<text>' at line N`, the text being the rest of the
 * statement from the offending token (cut to 80 characters), N counted within the statement. The
 * result is a 1-based index into the JavaScript string, as the core's `locate` reads it.
 */
export function syntaxErrorPosition(message: string, sql: string | undefined): number | undefined {
  const index = syntaxErrorIndex(message, sql);
  // The port counts characters (code points), as PostgreSQL does; JavaScript indexes count UTF-16 units.
  return index === undefined || sql === undefined ? undefined : Array.from(sql.slice(0, index - 1)).length + 1;
}

function syntaxErrorIndex(message: string, sql: string | undefined): number | undefined {
  if (sql === undefined || sql === '') return undefined;
  const match = /near '([\s\S]*)' at line (\d+)$/.exec(message);
  if (!match) return undefined;
  const [, near = '', lineText = '1'] = match;
  let lineStart = 0;
  for (let line = 1; line < Number(lineText); line++) {
    const newline = sql.indexOf('\n', lineStart);
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  // Nothing near: the statement ended too early.
  if (near === '') return sql.trimEnd().length || 1;
  for (const probe of [near, near.slice(0, 20)]) {
    const at = sql.indexOf(probe, lineStart);
    if (at >= 0) return at + 1;
  }
  return lineStart + 1;
}

/**
 * Implements `Driver.describeError`. `statement` is the SQL the session last sent through
 * `execute` or `queryValue`, to place syntax errors. Never throws.
 */
export function describeMysqlError(error: unknown, statement: string | undefined): EngineErrorInfo {
  const fields: MysqlClientError = typeof error === 'object' && error !== null ? error : {};
  const message = typeof fields.sqlMessage === 'string' ? fields.sqlMessage
    : error instanceof Error ? error.message : String(error);
  return {
    message,
    code: error instanceof MigratorError ? error.code : codeOf(fields),
    position: typeof fields.errno === 'number' && SYNTAX_ERRNOS.has(fields.errno) ? syntaxErrorPosition(message, statement) : undefined,
    kind: kindOf(fields),
  };
}
