DO $$
BEGIN
  RAISE NOTICE 'semi; colon';
END
$$;
CREATE FUNCTION add(a int, b int) RETURNS int AS $fn$
  SELECT a + b; -- $$ and $a$ inside are fine
$fn$ LANGUAGE sql;
SELECT $1::int, $2;
SELECT a$$b FROM t;
