CREATE DEFINER=`root`@`localhost` PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  lbl: BEGIN
    WHILE i < n DO
      INSERT INTO t VALUES (i);
      SET i = i + 1;
    END WHILE;
  END lbl;
  CASE n
    WHEN 0 THEN SELECT 'none';
    ELSE SELECT CASE WHEN n > 1 THEN 'many' ELSE 'one' END;
  END CASE;
  IF n > 10 THEN
    SET i = 0;
  END IF;
  REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;
  loop1: LOOP LEAVE loop1; END LOOP loop1;
END;
CALL fill(3);
