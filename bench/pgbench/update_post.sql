-- Ceiling of PATCH /v1/posts/{id}: each client edits its own post with its current version
-- (read in the same statement: this one runs as the superuser, the others as the service's role).
\set pid :first_post + :client_id
SELECT api.update_post(p_post_id => p.id, p_actor_id => p.user_id, p_version => p.version,
                       p_title => 'Edited by pgbench', p_content => NULL, p_tags => NULL)
  FROM social.posts p
 WHERE p.id = :pid;
