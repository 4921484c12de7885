-- Deploy gosocial:functions/get_post to pg
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/shapes

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
    SELECT social.post_json(p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
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
