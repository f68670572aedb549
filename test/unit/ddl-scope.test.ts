import { describe, expect, it } from 'vitest';
import { ddlScope } from '../../src/core/run/ddl-scope.js';

describe('ddlScope: the objects a DDL statement changes, for the journal fingerprint', () => {
  const tables = (...names: string[]) => ({ tables: names, routines: [], triggersOf: [] });
  it.each([
    ['CREATE TABLE t_1 (id INT PRIMARY KEY, v VARCHAR(50))', tables('t_1')],
    ['create table if not exists `My ``T` (id int)', tables('My `T')],
    ['CREATE TEMPORARY TABLE "q" (id int)', tables('q')],
    ['ALTER TABLE t ADD COLUMN x INT', tables('t')],
    ['ALTER TABLE t RENAME COLUMN a TO b', tables('t')],
    ['alter online table t drop index i', tables('t')],
    ['DROP TABLE IF EXISTS a, `b`, "c" CASCADE', tables('a', 'b', 'c')],
    ['CREATE UNIQUE INDEX i ON t (a)', tables('t')],
    ['DROP INDEX i ON t', tables('t')],
    ['CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1', { tables: [], routines: [], triggersOf: ['t'] }],
    ['CREATE DEFINER=`root`@`%` TRIGGER trg AFTER UPDATE ON t FOR EACH ROW BEGIN END', { tables: [], routines: [], triggersOf: ['t'] }],
    ['RENAME TABLE a TO b, c TO d', tables('a', 'b', 'c', 'd')],
    ['CREATE OR REPLACE ALGORITHM=MERGE VIEW v AS SELECT 1', tables('v')],
    ['-- why\n/* and how */ CREATE PROCEDURE p() BEGIN SELECT 1; END', { tables: [], routines: ['p'], triggersOf: [] }],
    ['DROP FUNCTION IF EXISTS f', { tables: [], routines: ['f'], triggersOf: [] }],
    ['TRUNCATE TABLE t', tables('t')],
  ])('%s', (sql, names) => {
    expect(ddlScope(sql)).toEqual(names);
  });

  it.each([
    // Another schema, or a table renamed: the whole schema is fingerprinted instead.
    'CREATE TABLE db.t (id int)',
    'CREATE TABLE `db`.`t` (id int)',
    'ALTER TABLE db.t ADD COLUMN x INT',
    'ALTER TABLE t RENAME TO u',
    'ALTER TABLE t ADD COLUMN x INT, RENAME AS u',
    'DROP TABLE a, db.b',
    'CREATE INDEX i ON db.t (a)',
    'CREATE TRIGGER trg BEFORE INSERT ON db.t FOR EACH ROW SET NEW.a = 1',
    'RENAME TABLE a TO db.b',
    // Not a form read here (a trigger is found through its table, which DROP TRIGGER does not name).
    'DROP TRIGGER IF EXISTS trg',
    'GRANT SELECT ON t TO u',
    'CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1',
    'ALTER DATABASE app CHARACTER SET utf8mb4',
    'CALL p()',
    '/*!40101 SET NAMES utf8 */',
  ])('%s: undefined', (sql) => {
    expect(ddlScope(sql)).toBeUndefined();
  });
});
