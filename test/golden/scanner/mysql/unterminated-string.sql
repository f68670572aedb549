SELECT 'ok';
SELECT 'it\'s open;
SELECT 3;
