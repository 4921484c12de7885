-- Revert gosocial:schema/shapes from pg: back to its @v1.0 version

BEGIN;

-- The v1.0 shapes (json_build_object, times as timestamptz's JSON writes them).
CREATE OR REPLACE FUNCTION social.user_json(u social.users, r social.roles) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
               'id', u.id,
               'username', u.username,
               'email', u.email,
               'created_at', u.created_at,
               'is_active', u.is_active,
               'role', json_build_object('id', r.id, 'name', r.name, 'level', r.level))
$$;
COMMENT ON FUNCTION social.user_json(social.users, social.roles) IS
    'The API''s user object: the user u with its role r.';

CREATE OR REPLACE FUNCTION social.post_json(p social.posts, comments_count bigint, author social.users)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
               'id', p.id,
               'user_id', p.user_id,
               'title', p.title,
               'content', p.content,
               'tags', p.tags,
               'version', p.version,
               'created_at', p.created_at,
               'updated_at', p.updated_at,
               'comments_count', comments_count,
               'user', json_build_object('id', author.id, 'username', author.username))
$$;
COMMENT ON FUNCTION social.post_json(social.posts, bigint, social.users) IS
    'The API''s post object: post p with its comment count and its author.';

CREATE OR REPLACE FUNCTION social.comment_json(c social.comments, author social.users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
               'id', c.id,
               'post_id', c.post_id,
               'user_id', c.user_id,
               'content', c.content,
               'created_at', c.created_at,
               'user', json_build_object('id', author.id, 'username', author.username))
$$;
COMMENT ON FUNCTION social.comment_json(social.comments, social.users) IS
    'The API''s comment object: comment c with its author.';

DROP FUNCTION social.time_json(timestamptz);

CREATE OR REPLACE FUNCTION social.distinct_tags(p_tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(d.t ORDER BY d.ord), '{}')
      FROM (SELECT x.t, min(x.ord) AS ord
              FROM unnest(p_tags) WITH ORDINALITY AS x(t, ord)
             WHERE x.t IS NOT NULL
             GROUP BY x.t) d
$$;
COMMENT ON FUNCTION social.distinct_tags(text[]) IS
    'Tags without NULLs and duplicates, first occurrences in their order; NULL gives {}.';

CREATE FUNCTION social.authorize_post(p_post_id bigint, p_actor_id bigint, p_min_level integer,
                                      p_verb text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- The RBAC rule of the API: the owner, or a role of at least p_min_level (an unknown actor
    -- has none). Missing post first, so a 403 never confirms what a 404 would hide.
    IF NOT EXISTS (SELECT FROM social.posts p WHERE p.id = p_post_id) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    IF NOT EXISTS (SELECT FROM social.posts p WHERE p.id = p_post_id AND p.user_id = p_actor_id)
       AND coalesce((SELECT r.level
                       FROM social.users u
                       JOIN social.roles r ON r.id = u.role_id
                      WHERE u.id = p_actor_id), 0) < p_min_level THEN
        RAISE EXCEPTION 'you may not % this post', p_verb USING ERRCODE = 'SN403';
    END IF;
END;
$$;
COMMENT ON FUNCTION social.authorize_post(bigint, bigint, integer, text) IS
    'Raises SN404 when the post does not exist, SN403 ("you may not <verb> this post") unless '
    'the actor owns it or has a role level of at least p_min_level.';

COMMIT;
