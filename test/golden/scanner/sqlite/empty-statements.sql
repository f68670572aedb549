;;
 ; ;
SELECT 1;;;
  ;