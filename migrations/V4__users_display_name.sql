-- Add display_name and backfill it from name, in one transaction with the column itself.
-- migrate:up
ALTER TABLE users ADD COLUMN display_name TEXT;

UPDATE users
SET display_name = substr(name, 1, instr(name || ' ', ' ') - 1)
WHERE display_name IS NULL;

-- migrate:verify
SELECT count(*) = 0 FROM users WHERE display_name IS NULL;

-- migrate:down
ALTER TABLE users DROP COLUMN display_name;
