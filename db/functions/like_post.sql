-- Deploy gosocial:functions/like_post to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.like_post(p_user_id bigint, p_post_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_author bigint := (SELECT user_id FROM posts WHERE id = p_post_id);
BEGIN
    IF v_author IS NULL OR social.separated(p_user_id, v_author) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    PERFORM social.lock_pair(p_user_id, v_author);
    IF social.separated(p_user_id, v_author) THEN  -- a block made while this waited
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    -- Liking again keeps the first like (its place in the list).
    INSERT INTO likes (post_id, user_id) VALUES (p_post_id, p_user_id) ON CONFLICT DO NOTHING;
    PERFORM social.notify(v_author, p_user_id, 'like', p_post_id, NULL);
END;
$$;

REVOKE ALL ON FUNCTION api.like_post(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.like_post(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.like_post(bigint, bigint) IS
    'Makes p_user_id like the post (no error when it already does). Raises SN404 when the post '
    'does not exist or a block stands between the user and its author.';

COMMIT;
