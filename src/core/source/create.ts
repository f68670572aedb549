/**
 * What `migrate create` writes: a UTC timestamp version (YYYYMMDDHHMMSS) that no existing file
 * uses, a file-name-safe slug, and an up/down template.
 */
import { parseVersion } from '../version.js';

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
