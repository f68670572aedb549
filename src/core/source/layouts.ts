/**
 * File-name layouts: how a migrations directory names its files (`migrations.layout`). `flyway` is
 * migrator's own grammar (filenames.ts); `golang-migrate` and `dbmate` read the files of those tools
 * unchanged, so a team can adopt migrator without renaming anything (docs/layouts.md).
 *
 * - golang-migrate (github.com/golang-migrate/migrate, source/parse.go): `Regex =
 *   ^([0-9]+)_(.*)\.(down|up)\.(.*)$`, the version parsed with `strconv.ParseUint(m[1], 10, 64)`;
 *   MIGRATIONS.md: "{version}_{title}.up.{extension}", "Versions of migrations may be represented as
 *   any 64 bit unsigned integer", "The title of each migration is unused". We read `.sql` only.
 * - dbmate (github.com/amacneil/dbmate, pkg/dbmate/db.go): `migrationFileRegexp = ^(\d+).*\.sql$`
 *   and `dbmate new` writes `<UTC 20060102150405>_<name>.sql`; we read `<digits>_<name>.sql`.
 *
 * One directory holds one layout: a file named after another known layout is refused (E_FILE_NAME)
 * rather than read with the wrong rules (`1_x.up.sql` is also a valid dbmate name, with version 1).
 */
import type { Version } from '../model.js';
import { parseVersion } from '../version.js';
import { callbackEventOf } from './callback-names.js';
import { parseFileName, type NameResult } from './filenames.js';

export const LAYOUTS = ['flyway', 'golang-migrate', 'dbmate'] as const;

/** The value of `migrations.layout`. */
export type Layout = (typeof LAYOUTS)[number];

/** The names a layout expects, for messages ("expected ..."). */
export function layoutPattern(layout: Layout): string {
  if (layout === 'golang-migrate') return '<version>_<title>.up.sql or <version>_<title>.down.sql';
  if (layout === 'dbmate') return '<version>_<name>.sql';
  return 'V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql';
}

/** What a version is in a layout, after {@link layoutPattern} in messages. */
function versionRule(layout: Layout): string {
  if (layout === 'golang-migrate') return ', the version being digits (a sequence such as 000001, or a timestamp)';
  if (layout === 'dbmate') return ', the version being digits (usually a UTC timestamp, YYYYMMDDHHMMSS)';
  return '';
}

const GOLANG_MIGRATE = /^(\d+)_(.*)\.(up|down)\.sql$/;
const DBMATE = /^(\d+)_(.+)\.sql$/;
/** The largest golang-migrate version: it is parsed as a uint64. */
const UINT64_MAX = '18446744073709551615';

function descriptionOf(raw: string): string {
  return raw.replace(/_/g, ' ').trim();
}

function golangMigrate(fileName: string): NameResult | undefined {
  const match = GOLANG_MIGRATE.exec(fileName);
  if (!match) return undefined;
  const [, digits = '', title = '', direction = ''] = match;
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length > UINT64_MAX.length || (trimmed.length === UINT64_MAX.length && trimmed > UINT64_MAX)) {
    return { kind: 'invalid', reason: `version ${digits} is larger than golang-migrate allows (a 64-bit unsigned integer)` };
  }
  const version = parseVersion(digits) as Version;
  return { kind: 'migration', name: { role: direction === 'up' ? 'versioned' : 'undo', version, description: descriptionOf(title), rawDescription: title } };
}

function dbmate(fileName: string): NameResult | undefined {
  const match = DBMATE.exec(fileName);
  if (!match) return undefined;
  const [, digits = '', name = ''] = match;
  const description = descriptionOf(name);
  if (description === '') return { kind: 'invalid', reason: 'the name after "<version>_" is empty' };
  return { kind: 'migration', name: { role: 'versioned', version: parseVersion(digits) as Version, description, rawDescription: name } };
}

/** Which known layout a file name belongs to, most specific first; `undefined` when none. */
export function detectLayout(fileName: string): Layout | undefined {
  if (parseFileName(fileName).kind === 'migration') return 'flyway';
  if (GOLANG_MIGRATE.test(fileName)) return 'golang-migrate';
  if (DBMATE.test(fileName)) return 'dbmate';
  return undefined;
}

function mixed(found: Layout, layout: Layout): NameResult {
  // A flyway file name missing its V is also a valid dbmate name: offer both readings.
  if (layout === 'flyway' && found === 'dbmate') {
    return {
      kind: 'invalid',
      reason: `expected ${layoutPattern(layout)}; if this directory is a dbmate one, set migrations.layout: dbmate`,
      hint: 'Rename the file to V<version>__<description>.sql (a missing V?), or, if every migration here is a dbmate file (<version>_<name>.sql), set migrations.layout: dbmate. One migrations directory holds one layout.',
    };
  }
  return {
    kind: 'invalid',
    reason: `this is a ${found} file name, but migrations.layout is ${layout}, which names files ${layoutPattern(layout)}: one migrations directory holds one layout`,
    hint: `Set migrations.layout: ${found} if every migration is named that way, or rename the file to ${layoutPattern(layout)}.`,
  };
}

/**
 * Classifies a file name found in a migrations directory under `layout`, like
 * {@link parseFileName} does for flyway. golang-migrate `.up.sql` files are `versioned` and
 * `.down.sql` files `undo` (the loader pairs them by version); dbmate files are `versioned` (their
 * down is a section). SQL callbacks (`beforeMigrate.sql`, ...) are recognised in every layout.
 * A name of another known layout is `invalid`, saying which layout it looks like.
 */
export function classifyFileName(fileName: string, layout: Layout): NameResult {
  const event = callbackEventOf(fileName);
  if (event) return { kind: 'callback', event };
  if (layout === 'flyway') {
    const result = parseFileName(fileName);
    const found = result.kind === 'invalid' ? detectLayout(fileName) : undefined;
    return found === undefined || found === 'flyway' ? result : mixed(found, layout);
  }
  const found = detectLayout(fileName);
  if (found !== undefined && found !== layout) return mixed(found, layout);
  const result = layout === 'golang-migrate' ? golangMigrate(fileName) : dbmate(fileName);
  if (result) return result;
  if (!/\.sql$/i.test(fileName)) return { kind: 'ignored' };
  return { kind: 'invalid', reason: `expected ${layoutPattern(layout)}${versionRule(layout)}` };
}
