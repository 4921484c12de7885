-- Experiment: the query api.user_feed builds for the default page, sent as plain prepared SQL
-- (as postgres: it reads social.* directly). Against feed.sql it shows what the PL/pgSQL
-- wrapper and its EXECUTE (planned on every call) cost.
\set id random(1, :users)
SELECT coalesce(json_agg(json_build_object(
           'id', p.id, 'user_id', p.user_id, 'title', p.title, 'content', p.content,
           'tags', p.tags, 'version', p.version, 'created_at', p.created_at,
           'updated_at', p.updated_at,
           'comments_count', (SELECT count(*) FROM social.comments c WHERE c.post_id = p.id),
           'user', json_build_object('id', u.id, 'username', u.username))
         ORDER BY p.created_at DESC, p.id DESC), '[]')
  FROM (SELECT p.*
          FROM (SELECT :id::bigint AS user_id
                UNION ALL
                SELECT f.user_id FROM social.followers f WHERE f.follower_id = :id) a
         CROSS JOIN LATERAL (
                SELECT p.* FROM social.posts p
                 WHERE p.user_id = a.user_id
                 ORDER BY p.created_at DESC, p.id DESC
                 LIMIT 20) p
         ORDER BY p.created_at DESC, p.id DESC
         LIMIT 20) p
  JOIN social.users u ON u.id = p.user_id;
