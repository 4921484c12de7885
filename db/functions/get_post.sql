-- Deploy gosocial:functions/get_post to pg
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/shapes
-- requires: schema/post_shape_likes
-- requires: schema/visibility

BEGIN;

-- Revision 1.2: the post as its viewer sees it (liked), and no post across a block.
DROP FUNCTION api.get_post(bigint);

CREATE FUNCTION api.get_post(p_post_id bigint, p_viewer_id bigint)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_post json;
BEGIN
    SELECT social.post_json(p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id),
                            (SELECT count(*) FROM likes l WHERE l.post_id = p.id),
                            EXISTS (SELECT FROM likes l WHERE l.post_id = p.id AND l.user_id = p_viewer_id),
                            u)
      INTO v_post
      FROM posts p
      JOIN users u ON u.id = p.user_id
     WHERE p.id = p_post_id
       AND NOT social.separated(p_viewer_id, p.user_id);
    IF v_post IS NULL THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.get_post(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_post(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.get_post(bigint, bigint) IS
    'Returns the post with its comment and like counts, whether p_viewer_id likes it, and its '
    'author. Raises SN404 when the post does not exist or a block stands between the viewer and '
    'its author.';

COMMIT;
