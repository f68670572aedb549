/**
 * Maps a database URL to its driver. Drivers are imported lazily, so `migrate create` or
 * `validate` without a database never loads a client library it does not need.
 */
import path from 'node:path';
import { MigratorError } from '../core/errors.js';
import type { Driver, ServerDriverOptions } from '../core/ports.js';
import type { SqlSyntax } from '../core/source/syntax.js';

export interface OpenOptions {
  /** Read-only session: creates nothing (not even a SQLite file). Used by dry runs, status, validate. */
  readonly readOnly: boolean;
  /** Resolves relative SQLite paths. */
  readonly cwd: string;
  /** The configured password, for engines that take one. */
  readonly password?: string | undefined;
  /** Server engines only: see ServerDriverOptions. */
  readonly server: Omit<ServerDriverOptions, 'url' | 'readOnly'>;
}

/**
 * How `validate --rehearse` gets a target whose writes are thrown away: a transaction the core rolls
 * back (a session opened with `open`), a disposable copy, or none (with the reason).
 */
export type RehearsalSupport =
  | { readonly kind: 'transaction' }
  | { readonly kind: 'copy'; readonly open: (options: Pick<OpenOptions, 'cwd'>) => Promise<{ readonly driver: Driver; readonly label: string; dispose(): Promise<void> }> }
  | { readonly kind: 'none'; readonly reason: string };

/** A driver chosen for a URL, not yet connected. */
export interface DriverChoice {
  /** Engine name for messages: `SQLite`. */
  readonly engine: string;
  /** The engine's OpenTelemetry `db.system` name, for trace attributes. */
  readonly dbSystem: 'sqlite' | 'postgresql' | 'mysql';
  readonly syntax: () => Promise<SqlSyntax>;
  readonly open: (options: OpenOptions) => Promise<Driver>;
  readonly rehearsal: RehearsalSupport;
}

/**
 * Parses `sqlite:./app.db`, `sqlite:///abs/app.db`, `sqlite3:app.db` or `sqlite::memory:` to a path
 * (relative paths resolve against `cwd`, `:memory:` stays as it is).
 */
export function sqlitePath(url: string, cwd: string): string {
  const rest = url.replace(/^sqlite3?:/i, '');
  const file = rest.startsWith('//') ? rest.slice(2) : rest;
  const cleaned = file.replace(/[?#].*$/, '');
  if (cleaned === ':memory:') return cleaned;
  return path.resolve(cwd, decodeURIComponent(cleaned));
}

/**
 * A server URL whose password holds an unencoded `@ / ? #` is ambiguous: a URL parser cuts it
 * there and reads the rest as the host. Refused, without ever quoting the URL.
 */
function checkUserinfo(url: string, engine: string): void {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@[^@]*$/is.exec(url)?.[1];
  if (userinfo !== undefined && /[@/?#]/.test(userinfo)) {
    throw new MigratorError('E_CONFIG', `url: the ${engine} URL's user or password holds an unencoded "@", "/", "?" or "#"`, {
      hint: 'Percent-encode them (@ is %40, / is %2F, ? is %3F, # is %23), or leave the password out of the URL and set it with password: / MIGRATOR_PASSWORD.',
    });
  }
}

/** Chooses the driver for `url`; throws E_CONFIG for a URL no driver handles. */
export function chooseDriver(url: string): DriverChoice {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite' || scheme === 'sqlite3') {
    return {
      engine: 'SQLite',
      dbSystem: 'sqlite',
      syntax: async () => (await import('./sqlite/syntax.js')).sqliteSyntax,
      open: async (options) => {
        if (options.password !== undefined) {
          throw new MigratorError('E_CONFIG', 'password: a SQLite database has no password', { hint: 'Remove password from the configuration of this environment.' });
        }
        const { openSqlite } = await import('./sqlite/driver.js');
        const file = sqlitePath(url, options.cwd);
        if (/^sqlite3?:(\/\/)?([?#].*)?$/i.test(url) || file.endsWith(path.sep)) throw new MigratorError('E_CONFIG', `url: "${url}" names no SQLite file`, { hint: 'Use sqlite:./app.db or sqlite:///absolute/path/app.db.' });
        return openSqlite({ path: file, readOnly: options.readOnly });
      },
      rehearsal: {
        kind: 'copy',
        open: async (options) => {
          const { openSqliteCopy } = await import('./sqlite/copy.js');
          const copy = await openSqliteCopy(sqlitePath(url, options.cwd));
          return { driver: copy.driver, label: `a temporary copy (${copy.file})`, dispose: () => copy.dispose() };
        },
      },
    };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    checkUserinfo(url, 'PostgreSQL');
    return {
      engine: 'PostgreSQL',
      dbSystem: 'postgresql',
      syntax: async () => (await import('./postgres/syntax.js')).postgresSyntax,
      open: async (options) => (await import('./postgres/driver.js')).openPostgres({ ...options.server, url, readOnly: options.readOnly, password: options.password }),
      rehearsal: { kind: 'transaction' },
    };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    checkUserinfo(url, 'MySQL');
    return {
      engine: 'MySQL',
      dbSystem: 'mysql',
      syntax: async () => (await import('./mysql/syntax.js')).mysqlSyntax,
      open: async (options) => (await import('./mysql/driver.js')).openMysql({ ...options.server, url, readOnly: options.readOnly, password: options.password }),
      rehearsal: { kind: 'none', reason: 'MySQL and MariaDB commit every DDL statement at once, so a rehearsal cannot be rolled back, and a server database cannot be copied from here' },
    };
  }
  throw new MigratorError('E_CONFIG', `url: unsupported database URL scheme "${scheme ?? '(none)'}"`, {
    hint: 'Supported: postgres://user@host:5432/db, mysql://user@host:3306/db (also mariadb://), sqlite:./file.db. Set it with --url or DATABASE_URL.',
  });
}
