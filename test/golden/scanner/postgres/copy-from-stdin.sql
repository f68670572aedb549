-- as pg_dump writes it
CREATE TABLE public.t (id integer, note text);

COPY public.t (id, note) FROM stdin;
1	it's; not SQL
2	$$ -- nor this /*
3	\N
\.

COPY public.t FROM STDIN WITH (FORMAT csv); -- a comment may end the line
4,"a ""quoted"" note"
\.
SELECT setval('s', 4);
COPY (SELECT * FROM stdin) TO STDOUT;
