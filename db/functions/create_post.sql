-- Deploy gosocial:functions/create_post to pg
-- requires: schema/posts
-- requires: schema/users
-- requires: schema/shapes
-- requires: schema/post_shape_likes
-- requires: schema/visibility
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.create_post(p_user_id bigint, p_title text, p_content text, p_tags text[])
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_post json;
    v_id bigint;
BEGIN
    WITH p AS (
        INSERT INTO posts (user_id, title, content, tags)
        VALUES (
            p_user_id, p_title, p_content,
            social.distinct_tags(p_tags))
        RETURNING *
    )
    SELECT social.post_json(p::posts, 0, 0, false, u), p.id
      INTO v_post, v_id
      FROM p JOIN users u ON u.id = p.user_id;
    -- The users it mentions, in the post's transaction (docs/database.md, Notifications).
    PERFORM social.notify(m, p_user_id, 'mention', v_id, NULL)
       FROM social.mentioned(p_title || E'\n' || p_content) m;

    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.create_post(bigint, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_post(bigint, text, text, text[]) TO gosocial_app;

COMMENT ON FUNCTION api.create_post(bigint, text, text, text[]) IS
    'Creates a post (version 1) and returns it with comments_count and likes_count 0, liked '
    'false, and its author; tags are '
    'deduplicated keeping first-occurrence order, NULL means none. Raises no SN* code '
    '(the caller is an existing user; field bounds are CHECK constraints, 23514).';

COMMIT;
