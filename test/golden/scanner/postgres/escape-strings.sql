SELECT E'it\'s; ok';
SELECT e'tab\t;\\' AS x;
SELECT name'C:\'; SELECT 2;
