-- Deploy gosocial:functions/block_user to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.block_user(p_blocker_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_blocker_id = p_user_id THEN
        RAISE EXCEPTION 'you cannot block yourself' USING ERRCODE = 'SN400';
    END IF;
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    PERFORM social.lock_pair(p_blocker_id, p_user_id);
    -- Blocking again keeps the first block (its place in the list).
    INSERT INTO blocks (blocker_id, blocked_id) VALUES (p_blocker_id, p_user_id)
    ON CONFLICT DO NOTHING;
    -- The follows between them end; the unfollow trigger takes each other's posts out of their
    -- timelines.
    DELETE FROM followers
     WHERE (user_id, follower_id) IN ((p_user_id, p_blocker_id), (p_blocker_id, p_user_id));
    -- And so do the notifications between them.
    DELETE FROM notifications
     WHERE (user_id, actor_id) IN ((p_user_id, p_blocker_id), (p_blocker_id, p_user_id));
END;
$$;

REVOKE ALL ON FUNCTION api.block_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.block_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.block_user(bigint, bigint) IS
    'Makes p_blocker_id block p_user_id (no error when it already does) and ends the follows '
    'between them. Raises SN400 for oneself (checked first), SN404 when p_user_id does not '
    'exist.';

COMMIT;
