SELECT [a;b] FROM t;
SELECT [oops FROM t;
