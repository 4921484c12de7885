-- Experiment: the same page, but the per-followee walk reads only (created_at, id) from
-- posts_user_created_idx (an index-only scan) and the 20 winning rows are fetched afterwards,
-- instead of fetching up to 20 full rows per followed user (~1,000 heap rows for 20 kept).
\set id random(1, :users)
SELECT coalesce(json_agg(json_build_object(
           'id', p.id, 'user_id', p.user_id, 'title', p.title, 'content', p.content,
           'tags', p.tags, 'version', p.version, 'created_at', p.created_at,
           'updated_at', p.updated_at,
           'comments_count', (SELECT count(*) FROM social.comments c WHERE c.post_id = p.id),
           'user', json_build_object('id', u.id, 'username', u.username))
         ORDER BY p.created_at DESC, p.id DESC), '[]')
  FROM (SELECT k.id
          FROM (SELECT :id::bigint AS user_id
                UNION ALL
                SELECT f.user_id FROM social.followers f WHERE f.follower_id = :id) a
         CROSS JOIN LATERAL (
                SELECT p.id, p.created_at FROM social.posts p
                 WHERE p.user_id = a.user_id
                 ORDER BY p.created_at DESC, p.id DESC
                 LIMIT 20) k
         ORDER BY k.created_at DESC, k.id DESC
         LIMIT 20) top
  JOIN social.posts p ON p.id = top.id
  JOIN social.users u ON u.id = p.user_id;
