-- Deploy gosocial:functions/unfollow_user to pg
-- requires: schema/followers
-- requires: schema/visibility
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.unfollow_user(p_follower_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id)
       OR social.separated(p_follower_id, p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;

    -- Not following is not an error: the outcome the caller wants holds.
    DELETE FROM followers WHERE user_id = p_user_id AND follower_id = p_follower_id;
    DELETE FROM notifications
     WHERE type = 'follow' AND user_id = p_user_id AND actor_id = p_follower_id;
END;
$$;

REVOKE ALL ON FUNCTION api.unfollow_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.unfollow_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.unfollow_user(bigint, bigint) IS
    'Makes p_follower_id stop following p_user_id; no error when not following. '
    'Raises SN404 when p_user_id does not exist or a block stands between them.';

COMMIT;
