CREATE TABLE [my;table] (`a;b` TEXT, "c""d;" TEXT);
INSERT INTO [my;table] VALUES ('x;y', 'it''s');
SELECT 'a\'; SELECT 2;
