-- Keep posts.updated_at current. The trigger body holds semicolons of its own.
-- migrate:up
CREATE TRIGGER posts_touch_updated_at
AFTER UPDATE OF title, body ON posts
FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
  UPDATE posts SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- migrate:down
DROP TRIGGER posts_touch_updated_at;
