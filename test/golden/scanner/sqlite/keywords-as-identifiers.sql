CREATE TABLE events (beginning TEXT, end_date TEXT, backend TEXT);
CREATE TRIGGER "begin" AFTER INSERT ON events BEGIN UPDATE events SET backend = 'END;'; END;
SELECT `end`, "case" FROM events;
