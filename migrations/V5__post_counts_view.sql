-- migrate:up
CREATE VIEW user_post_counts AS
SELECT u.id AS user_id, u.email, count(p.id) AS posts
FROM users u
LEFT JOIN posts p ON p.author_id = u.id
GROUP BY u.id, u.email;

-- migrate:down
DROP VIEW user_post_counts;
