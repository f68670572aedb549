/** Parsing SHOW GRANTS for `Driver.diagnose` on MySQL/MariaDB: lines as MariaDB 10.11 prints them. */
import { describe, expect, it } from 'vitest';
import { hasPrivilege, matchesDatabase, parseGrants } from '../../src/drivers/mysql/grants.js';

describe('MySQL SHOW GRANTS', () => {
  const grants = parseGrants([
    'GRANT `gr_role` TO `gr_a`@`%`',
    "GRANT USAGE ON *.* TO `gr_a`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
    'GRANT SELECT, INSERT ON `app`.* TO `gr_a`@`%`',
    'GRANT CREATE ON `app\\_%`.* TO `gr_a`@`%`',
    'GRANT SELECT, UPDATE (`k`), DELETE ON `app`.`migrator_meta` TO `gr_a`@`%`',
    'GRANT TRIGGER ON `app`.* TO `gr_role`',
    'GRANT EXECUTE ON PROCEDURE `app`.`p` TO `gr_a`@`%`',
    'GRANT ALL PRIVILEGES ON `other`.* TO `gr_a`@`%` WITH GRANT OPTION',
  ]);

  it.each<[string, string, string | undefined, boolean]>([
    ['SELECT', 'app', 'migrator_history', true],
    ['INSERT', 'app', undefined, true],
    ['UPDATE', 'app', 'migrator_history', false],
    ['UPDATE', 'app', 'migrator_meta', false], // column-level only
    ['DELETE', 'app', 'migrator_meta', true], // table-level
    ['DELETE', 'app', 'migrator_history', false],
    ['CREATE', 'app_x', undefined, true], // escaped _ is literal, % matches the rest
    ['CREATE', 'appXx', undefined, false],
    ['CREATE', 'app', undefined, false],
    ['TRIGGER', 'app', 'migrator_audit', true], // the active role's grant, as MariaDB lists it
    ['DROP', 'other', 'anything', true], // ALL PRIVILEGES
    ['EXECUTE', 'app', undefined, false], // routine grants are not a database's
    ['USAGE', 'app', undefined, true],
  ])('%s on %s.%s: %s', (privilege, database, table, granted) => {
    expect(hasPrivilege(grants, privilege, database, table)).toBe(granted);
  });

  it('matches database wildcards the way the server does', () => {
    expect(matchesDatabase('app%', 'app_prod')).toBe(true);
    expect(matchesDatabase('app_', 'appX')).toBe(true);
    expect(matchesDatabase('app\\_', 'appX')).toBe(false);
    expect(matchesDatabase('a.b', 'aXb')).toBe(false);
    expect(hasPrivilege(parseGrants(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION']), 'CREATE', 'any')).toBe(true);
  });
});
