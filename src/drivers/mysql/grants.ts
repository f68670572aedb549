/**
 * Reading `SHOW GRANTS` for `Driver.diagnose`: MySQL has no has_table_privilege(), so the grants are
 * parsed and matched against a database (and table) the way the server matches them: global
 * (`*.*`), database-level (`db`.*, where `%` and `_` are wildcards unless escaped) and table-level.
 * Column-level grants (`UPDATE (col)`) are not a table's privilege and are ignored. Routine and
 * proxy grants are ignored. Lines are never echoed: MariaDB's carry the password hash.
 */

/** One `GRANT <privileges> ON <db>.<table> TO ...` line. */
export interface GrantLine {
  /** Upper-case privilege names; `ALL` for ALL [PRIVILEGES]. */
  readonly privileges: ReadonlySet<string>;
  /** The database as written in the grant (wildcards kept), `*` for all. */
  readonly database: string;
  /** The table, `*` for all. */
  readonly table: string;
}

/** Splits `text` at depth-0 occurrences of `separator`, outside backquotes and quotes. */
function splitTop(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '`' || char === "'" || char === '"') quote = char;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `db`.`table`, db.*, *.* -> [database, table]; `undefined` for anything else. */
function parseObject(text: string): readonly [string, string] | undefined {
  const ident = '(\\*|`(?:[^`]|``)*`|[A-Za-z0-9_$]+)';
  const match = new RegExp(`^(?:TABLE\\s+)?${ident}\\.${ident}$`, 'i').exec(text.trim());
  if (!match) return undefined;
  const unquote = (part: string): string => (part.startsWith('`') ? part.slice(1, -1).replace(/``/g, '`') : part);
  return [unquote(match[1] ?? ''), unquote(match[2] ?? '')];
}

/** Parses SHOW GRANTS output; lines that grant roles, proxies or routines are skipped. */
export function parseGrants(lines: ReadonlyArray<string>): GrantLine[] {
  const grants: GrantLine[] = [];
  for (const line of lines) {
    if (!/^GRANT\s/i.test(line)) continue;
    const [privileges, rest] = splitTop(line.replace(/^GRANT\s+/i, ''), ' ON ');
    if (rest === undefined) continue;
    const object = parseObject(splitTop(rest, ' TO ')[0] ?? '');
    if (object === undefined) continue;
    const names = splitTop(privileges ?? '', ',').map((p) => p.trim().toUpperCase()).filter((p) => !p.includes('('));
    grants.push({ privileges: new Set(names.map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p))), database: object[0], table: object[1] });
  }
  return grants;
}

/** Whether a database-level grant's name (with `%`/`_` wildcards, `\` escapes) covers `database`. */
export function matchesDatabase(pattern: string, database: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '\\' && i + 1 < pattern.length) regex += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (char === '%') regex += '.*';
    else if (char === '_') regex += '.';
    else regex += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(database);
}

/**
 * Whether `privilege` is granted on `database` (and `table`, when given): globally, on the database
 * (wildcards applied), or on that table.
 */
export function hasPrivilege(grants: ReadonlyArray<GrantLine>, privilege: string, database: string, table?: string): boolean {
  return grants.some((grant) => {
    if (!grant.privileges.has(privilege) && !grant.privileges.has('ALL')) return false;
    if (grant.database === '*') return grant.table === '*';
    if (grant.table === '*') return matchesDatabase(grant.database, database);
    return table !== undefined && grant.database === database && grant.table === table;
  });
}
