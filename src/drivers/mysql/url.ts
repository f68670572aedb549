/**
 * Parses a `mysql://` (or `mariadb://`) URL into connection settings. The URL carries the password,
 * so no message here ever quotes it: errors name the part that is wrong, never its value.
 */
import { MigratorError } from '../../core/errors.js';

/** Where and as whom to connect, taken apart from the URL. */
export interface MysqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** `undefined` when the URL has none (socket or passwordless auth). */
  readonly password: string | undefined;
  readonly database: string;
  /** `undefined`: plain TCP. `{}`: TLS with certificate checks. */
  readonly ssl: { readonly rejectUnauthorized?: boolean } | undefined;
  /** Unix socket path (`?socket=/run/mysqld/mysqld.sock`), instead of host and port. */
  readonly socketPath: string | undefined;
}

const URL_HINT = 'Use mysql://user:password@host:3306/database (also mariadb://); options: ?ssl=true|false, ?sslmode=disabled|required|verify_ca|verify_identity, ?socket=/path/mysqld.sock.';

function configError(message: string): MigratorError {
  return new MigratorError('E_CONFIG', message, { hint: URL_HINT });
}

// sslmode follows the mysql client's --ssl-mode: REQUIRED encrypts without checking the certificate.
const SSL_MODES: Readonly<Record<string, MysqlTarget['ssl']>> = {
  disabled: undefined,
  preferred: undefined,
  required: { rejectUnauthorized: false },
  verify_ca: {},
  verify_identity: {},
};

function parseSsl(params: URLSearchParams): MysqlTarget['ssl'] {
  const mode = (params.get('sslmode') ?? params.get('ssl-mode'))?.toLowerCase().replace('-', '_');
  if (mode !== undefined) {
    if (!(mode in SSL_MODES)) throw configError(`url: unknown sslmode "${mode}"`);
    return SSL_MODES[mode];
  }
  const ssl = params.get('ssl')?.toLowerCase();
  if (ssl === undefined || ssl === 'false' || ssl === '0') return undefined;
  if (ssl === 'true' || ssl === '1') return {};
  throw configError(`url: ssl must be true or false, not "${ssl}"`);
}

const KNOWN_PARAMS = new Set(['ssl', 'sslmode', 'ssl-mode', 'socket']);

/**
 * Parses `url`. Unknown query parameters are refused rather than ignored: silently dropping one
 * (a TLS requirement, say) would connect differently from what the user asked for.
 *
 * @throws MigratorError E_CONFIG when the URL is malformed, names no user or database, or has an unknown option.
 */
export function parseMysqlUrl(url: string): MysqlTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError('url: not a valid MySQL URL');
  }
  const unknown = [...parsed.searchParams.keys()].filter((key) => !KNOWN_PARAMS.has(key));
  if (unknown.length > 0) throw configError(`url: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new MigratorError('E_CONFIG', 'url: the MySQL URL names no database', {
      hint: 'Add the database after the host: mysql://user@host:3306/app. migrator keeps its tables in that database.',
    });
  }
  const user = decodeURIComponent(parsed.username);
  if (user === '') throw configError('url: the MySQL URL names no user');
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  return {
    host: decodeURIComponent(hostname) || 'localhost',
    port,
    user,
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    database,
    ssl: parseSsl(parsed.searchParams),
    socketPath: parsed.searchParams.get('socket') ?? undefined,
  };
}

/** `user@host:port/db` (or `user@socket/db`): safe to show, the password is never part of it. */
export function describeTarget(target: MysqlTarget): string {
  const where = target.socketPath ?? `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  return `${target.user}@${where}/${target.database}`;
}
