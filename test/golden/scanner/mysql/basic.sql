# hash comment; not a statement
SELECT 1 --1;
SELECT 2 -- real comment; still a comment
;
SELECT 3;-- comment after
SELECT 4#tail;
;
SELECT 5 --
;
