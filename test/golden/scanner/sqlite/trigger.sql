CREATE TRIGGER trg AFTER INSERT ON t
BEGIN
  UPDATE counts SET n = n + 1;
  INSERT INTO log VALUES (CASE WHEN new.a > 0 THEN 'pos' ELSE 'neg' END);
END;
CREATE TEMP TRIGGER trg2 BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no; END'); END;
create temporary trigger if not exists trg3 after update on t when new.x = 1 begin
  UPDATE t SET end_date = NULL, "end" = 1, [begin] = 2 WHERE backend = 'BEGINNING';
  -- END;
end;
SELECT 1;
