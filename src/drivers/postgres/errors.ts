/**
 * Translations of what node-postgres throws: engine errors for the core (`describeError`), and the
 * MigratorErrors of a failed or lost connection. Nothing here may echo the URL or its password.
 */
import pg from 'pg';
import type { EngineErrorInfo, EngineErrorKind } from '../../core/ports.js';
import { MigratorError } from '../../core/errors.js';

/** Removes the connection's secrets from a text before it goes into any message. */
export type Scrub = (text: string) => string;

/**
 * A scrubber for `url` and `password`. Passwords shorter than 4 characters are not masked: masking
 * every `a` of a message would destroy it, and server messages never quote the password anyway.
 */
export function createScrub(url: string, password: string | undefined): Scrub {
  const secrets = [url, password, password === undefined ? undefined : encodeURIComponent(password)]
    .filter((secret): secret is string => secret !== undefined && secret.length >= 4);
  return (text) => secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('***'), text);
}

/** SQLSTATE of a server error, `undefined` for anything else. */
export function sqlState(error: unknown): string | undefined {
  if (!(error instanceof pg.DatabaseError)) return undefined;
  return error.code;
}

/**
 * Whether `error` is a concurrent creator's CREATE winning the race against ours: IF NOT EXISTS
 * checks before inserting into the catalog, so the loser fails with 23505 (pg_type's unique index),
 * 42P07 (duplicate_table), 42710 (duplicate_object) or 42723 (duplicate_function) instead of
 * finding the object.
 */
export function isCreateRace(error: unknown): boolean {
  const code = sqlState(error);
  return code === '23505' || code === '42P07' || code === '42710' || code === '42723';
}

// The server ends the session: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now.
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);
const SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH']);
// node-postgres raises plain Errors without a code when the socket closes under it.
const CLOSED_MESSAGES = /connection terminated|not queryable|connection is closed|connection error/i;

/** Whether `error` says the connection is gone (the server ended the session, or the socket closed). */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof MigratorError) return error.code === 'E_CONNECT';
  const raw = (error as { code?: unknown } | null | undefined)?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  if (error instanceof pg.DatabaseError) return code !== undefined && (SESSION_ENDED.has(code) || code.startsWith('08'));
  if (code !== undefined && SOCKET_CODES.has(code)) return true;
  return error instanceof Error && CLOSED_MESSAGES.test(error.message);
}

function kindOf(error: unknown, code: string | undefined, sessionDead: boolean): EngineErrorKind {
  // 55P03 lock_not_available: what lock_timeout (and NOWAIT) raise; the statement changed nothing.
  if (error instanceof pg.DatabaseError && code === '55P03') return 'lock_timeout';
  if (isConnectionError(error)) return 'connection_lost';
  // A server error names its own cause; anything else on a dead session is the connection's fault.
  return sessionDead && !(error instanceof pg.DatabaseError) ? 'connection_lost' : 'other';
}

/** Implements `Driver.describeError`. Never throws. */
export function describePgError(error: unknown, sessionDead: boolean, scrub: Scrub): EngineErrorInfo {
  const raw = (error ?? {}) as { code?: unknown; position?: unknown; detail?: unknown; hint?: unknown };
  const code = typeof raw.code === 'string' ? raw.code : undefined;
  const position = error instanceof pg.DatabaseError && raw.position !== undefined ? Number(raw.position) : undefined;
  const lines = [
    typeof raw.detail === 'string' ? `DETAIL: ${raw.detail}` : undefined,
    typeof raw.hint === 'string' ? `HINT: ${raw.hint}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return {
    message: scrub(error instanceof Error ? error.message : String(error)),
    code,
    position: position !== undefined && Number.isInteger(position) ? position : undefined,
    kind: kindOf(error, code, sessionDead),
    ...(lines.length > 0 ? { detail: scrub(lines.join('\n')) } : {}),
  };
}

function connectHint(code: string | undefined, target: string): string {
  if (code === '28P01' || code === '28000') return 'check the user and password of the database URL, and that pg_hba.conf lets this user in from this host';
  if (code === '3D000') return 'create the database first, or fix its name in the URL';
  if (code === '53300') return 'the server has no connection slot left: retry later, or raise max_connections';
  return `check that PostgreSQL runs at ${target.replace(/ as .*$/, '')} and accepts connections from this host (host, port, firewall, sslmode)`;
}

/**
 * The error for a connection that could not be opened. `target` is `host:port/db as user`, built from
 * parsed parts only; the reason is scrubbed. No `cause`: a renderer printing it could leak the URL.
 */
export function connectError(target: string, error: unknown, scrub: Scrub): MigratorError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const engineCode = typeof code === 'string' ? code : undefined;
  const reason = scrub(error instanceof Error ? error.message : String(error));
  return new MigratorError('E_CONNECT', `cannot connect to PostgreSQL at ${target}: ${reason}`, {
    hint: connectHint(engineCode, target),
    details: { engineCode: engineCode ?? null },
  });
}

/** The error of every call after the connection died: migrator never reconnects behind the core's back. */
export function connectionLost(label: string, reason: string): MigratorError {
  return new MigratorError('E_CONNECT', `the connection to PostgreSQL was lost (${reason}): ${label} is not reconnected, because its lock and open transaction died with it`, {
    hint: 'The outcome of the statement in flight is unknown: run "migrate status" to see what was applied, then run again.',
  });
}
