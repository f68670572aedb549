-- Posts written by users. The down lives in U2__create_posts.sql (Flyway layout).
CREATE TABLE posts (
  id         INTEGER PRIMARY KEY,
  author_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title      TEXT    NOT NULL,
  body       TEXT    NOT NULL DEFAULT '',
  created_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO posts (author_id, title, body) VALUES
  (1, 'Notes on the Analytical Engine', 'It weaves algebraic patterns; it can''t originate anything.'),
  (2, 'First bug', 'A moth, found in relay #70; taped into the log book.');
