-- Deploy gosocial:functions/get_post to pg
-- requires: schema/posts
-- requires: schema/comments

BEGIN;

CREATE OR REPLACE FUNCTION api.get_post(p_post_id bigint)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_post json;
BEGIN
    SELECT json_build_object(
               'id', p.id,
               'user_id', p.user_id,
               'title', p.title,
               'content', p.content,
               'tags', p.tags,
               'version', p.version,
               'created_at', p.created_at,
               'updated_at', p.updated_at,
               'comments_count', (SELECT count(*) FROM comments c WHERE c.post_id = p.id),
               'user', json_build_object('id', u.id, 'username', u.username))
      INTO v_post
      FROM posts p
      JOIN users u ON u.id = p.user_id
     WHERE p.id = p_post_id;

    IF v_post IS NULL THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.get_post(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_post(bigint) TO gosocial_app;

COMMENT ON FUNCTION api.get_post(bigint) IS
    'Returns the post with comments_count and its author. Raises SN404 when the post does not exist.';

COMMIT;
