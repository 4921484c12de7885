-- Ceiling of PATCH /v1/posts/{id}: each client edits its own post with its current version
-- (read in the same statement: this one runs as the superuser, the others as the service's role).
\set pid :first_post + :client_id
SELECT api.update_post(p.id, p.user_id, p.version, 'Edited by pgbench', NULL, NULL)
  FROM social.posts p
 WHERE p.id = :pid;
