-- Deploy gosocial:functions/follow_user to pg
-- requires: schema/followers
-- requires: schema/visibility
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.follow_user(p_follower_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_follower_id = p_user_id THEN
        RAISE EXCEPTION 'you cannot follow yourself' USING ERRCODE = 'SN400';
    END IF;

    -- Under the pair's lock: a block made at the same moment either comes first (then this is a
    -- 404) or ends this follow after it.
    PERFORM social.lock_pair(p_follower_id, p_user_id);
    IF social.separated(p_follower_id, p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    INSERT INTO followers (user_id, follower_id)
    SELECT p_user_id, p_follower_id
     WHERE EXISTS (SELECT FROM users WHERE id = p_user_id)
    ON CONFLICT DO NOTHING;

    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
            RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
        END IF;
        RAISE EXCEPTION 'already following' USING ERRCODE = 'SN409';
    END IF;
    PERFORM social.notify(p_user_id, p_follower_id, 'follow', NULL, NULL);
END;
$$;

REVOKE ALL ON FUNCTION api.follow_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.follow_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.follow_user(bigint, bigint) IS
    'Makes p_follower_id follow p_user_id. Raises SN400 when they are the same user '
    '(checked first), SN404 when p_user_id does not exist or a block stands between them, SN409 '
    'when already following.';

COMMIT;
