SELECT 1 # not a comment;
SELECT $$ AS a, 'x\' AS b;
SELECT 1 --1;
;
SELECT E'\';
