INSERT INTO t VALUES (1);
COPY t FROM stdin;
5	five
\.x
