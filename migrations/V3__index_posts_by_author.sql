-- Listing a user's posts newest first is the app's hottest query.
-- migrate:up
CREATE INDEX posts_author_created_idx ON posts (author_id, created_at DESC);

-- migrate:down
DROP INDEX posts_author_created_idx;
