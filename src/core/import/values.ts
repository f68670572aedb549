/**
 * Reading values as the three drivers return them: pg gives `Date` and bigints as text, mysql2
 * gives `Date` and numbers, better-sqlite3 gives text and numbers (SQLite has no date or boolean
 * type, so each tool stores its own spelling).
 */

/** The text of a value, `undefined` for NULL. Bigints and numbers become their decimal text. */
export function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/** A boolean column: `true`, `1`, `'1'`, `'t'`, `'true'` (any case), or a BIT(1) buffer holding 1. */
export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (Buffer.isBuffer(value)) return value.some((byte) => byte !== 0);
  return typeof value === 'string' && ['1', 't', 'true', 'y', 'yes'].includes(value.trim().toLowerCase());
}

const SQL_TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d(?::?\d\d)?)?$/;

/** Below this, a number is read as seconds since the epoch: as milliseconds it would be before 1973-03-03. */
const SECONDS_BELOW = 100_000_000_000;

/**
 * A time column as ISO-8601 UTC, `undefined` for NULL or anything unreadable. A `Date` (what
 * node-postgres returns; for a zone-less `timestamp` it has already been read in the process time
 * zone) is taken as it is. Text without a zone (`2024-01-02 03:04:05`: SQLite text, and every
 * MySQL/MariaDB DATETIME or TIMESTAMP, which the mysql driver returns as text) is read as UTC;
 * text with an offset keeps it. Numbers, and text of digits, are milliseconds since the epoch
 * (knex on SQLite), or seconds when below 100,000,000,000 (docs/import.md#tools).
 */
export function isoTime(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value))) {
    const n = Number(value);
    const ms = n < SECONDS_BELOW ? n * 1000 : n;
    return new Date(ms).toISOString();
  }
  if (typeof value !== 'string') return undefined;
  const match = SQL_TIME.exec(value.trim());
  if (!match) return undefined;
  const zone = match[3] === undefined ? 'Z' : match[3].length === 5 ? `${match[3].slice(0, 3)}:${match[3].slice(3)}` : match[3].length === 3 ? `${match[3]}:00` : match[3];
  const time = (match[2] ?? '').length === 5 ? `${match[2] ?? ''}:00` : match[2];
  const parsed = new Date(`${match[1] ?? ''}T${time ?? ''}${zone}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

/**
 * The leading version of a file or class name, or `undefined` when it does not start with one.
 * By default only the leading run of digits: the name-based tools (knex, db-migrate,
 * node-pg-migrate, Sequelize, Prisma, Django) version files with a number or timestamp, and what
 * follows is the description, digits included (`20240101120000_2fa_setup.js` -> `20240101120000`).
 * `dotted`: the tool's own versions are dotted (Flyway-style names in Liquibase), so `V1.2__x.sql`
 * and `1_2_x` give `1.2` and `1_2`, an optional leading `V` dropped.
 */
export function leadingVersion(name: string, dotted = false): string | undefined {
  const base = name.replace(/^.*[/\\]/, '');
  return (dotted ? /^[Vv]?(\d+(?:[._]\d+)*)/ : /^(\d+)/).exec(base)?.[1];
}
