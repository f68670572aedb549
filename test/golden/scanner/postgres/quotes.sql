INSERT INTO t (s) VALUES ('it''s; fine');
SELECT "we;ird""col" FROM t;
SELECT '$$' AS a, 'x' || ';' AS b;
SELECT 'a\'; SELECT 2;
