/* outer /* inner; */ still comment; */
SELECT 1; /* a */ /* b /* c */ d */
SELECT -- comment; not the end
  2;
SELECT 3 /* trailing */;
SELECT 4 --5;
;
