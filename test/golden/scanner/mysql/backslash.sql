INSERT INTO t VALUES ('it\'s; fine', "a\"b;c", 'x''y');
SELECT `we;ird``name` FROM t;
SELECT '\\'; SELECT `a\`;
