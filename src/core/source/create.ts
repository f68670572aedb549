/**
 * What `migrate create` writes: a UTC timestamp version (YYYYMMDDHHMMSS) that no existing file
 * uses, a file-name-safe slug, and an up/down template, named as `migrations.layout` wants.
 */
import type { Version } from '../model.js';
import { parseVersion } from '../version.js';
import type { Layout } from './layouts.js';

/** Lowercase words joined by `_`; '' when nothing usable is left. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
}

function stamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/**
 * The version for a new migration created at `now`, moved `attempt` seconds later, then on by a
 * second at a time past any version in `taken`: a same-second clash gets a newer version.
 */
export function createTimestampVersion(now: Date, attempt: number, taken: ReadonlySet<string>): string {
  let candidate = new Date(now.getTime() + attempt * 1000);
  for (;;) {
    const version = stamp(candidate);
    if (!taken.has(parseVersion(version)?.canonical ?? version)) return version;
    candidate = new Date(candidate.getTime() + 1000);
  }
}

export function migrationTemplate(name: string): string {
  return [
    `-- ${name.replace(/\s+/g, ' ').trim()}`,
    '-- migrate:up',
    '',
    '',
    '-- migrate:down',
    '',
    '',
  ].join('\n');
}

/** A file `migrate create` writes: its name in the migrations directory, and its content. */
export interface NewFile {
  readonly name: string;
  readonly text: string;
}

/** The largest version that still reads as a sequence (`000042`) rather than a timestamp. */
const SEQUENCE_LIMIT = 100_000_000n;

/**
 * golang-migrate projects often number their files (`migrate create -seq -digits 6` writes
 * `000001_x.up.sql`). When every existing version of a golang-migrate directory is such a small
 * number, the next one continues the sequence with the same width, moved `attempt` on; otherwise
 * (timestamps, an empty directory, other layouts) `undefined`: use {@link createTimestampVersion}.
 */
export function createSequenceVersion(layout: Layout, existing: ReadonlyArray<Version>, attempt: number): string | undefined {
  if (layout !== 'golang-migrate' || existing.length === 0) return undefined;
  const numbers = existing.map((version) => BigInt(version.canonical.replace(/\./g, '')));
  const highest = numbers.reduce((a, b) => (a > b ? a : b));
  if (highest >= SEQUENCE_LIMIT || existing.some((version) => version.parts.length > 1)) return undefined;
  const width = Math.max(...existing.map((version) => version.raw.length));
  return String(highest + 1n + BigInt(attempt)).padStart(width, '0');
}

/**
 * The files of a new migration `version` named `slug` (what the user typed: `name`) in `layout`:
 * flyway `V<version>__<slug>.sql` with up and down sections; golang-migrate
 * `<version>_<slug>.up.sql` and `.down.sql`, empty as `migrate create` writes them; dbmate
 * `<version>_<slug>.sql` with the sections `dbmate new` writes.
 */
export function newMigrationFiles(layout: Layout, version: string, slug: string, name: string): NewFile[] {
  if (layout === 'golang-migrate') return [{ name: `${version}_${slug}.up.sql`, text: '' }, { name: `${version}_${slug}.down.sql`, text: '' }];
  if (layout === 'dbmate') return [{ name: `${version}_${slug}.sql`, text: '-- migrate:up\n\n\n-- migrate:down\n\n' }];
  return [{ name: `V${version}__${slug}.sql`, text: migrationTemplate(name) }];
}
