-- create the table
CREATE TABLE t (id int);
;;
INSERT INTO t VALUES (1);   /* trailing */
SELECT 1
