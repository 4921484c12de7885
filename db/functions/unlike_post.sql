-- Deploy gosocial:functions/unlike_post to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.unlike_post(p_user_id bigint, p_post_id bigint)
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
    DELETE FROM likes WHERE post_id = p_post_id AND user_id = p_user_id;
    DELETE FROM notifications WHERE type = 'like' AND post_id = p_post_id AND actor_id = p_user_id;
END;
$$;

REVOKE ALL ON FUNCTION api.unlike_post(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.unlike_post(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.unlike_post(bigint, bigint) IS
    'Removes p_user_id''s like of the post (no error when there is none). Raises SN404 when the '
    'post does not exist or a block stands between the user and its author.';

COMMIT;
