-- Deploy gosocial:functions/get_relationship to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists

BEGIN;

CREATE OR REPLACE FUNCTION api.get_relationship(p_viewer_id bigint, p_user_id bigint)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- Answered across a block too: the blocker sees blocking, the blocked user blocked_by.
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN format('{"following":%s,"followed_by":%s,"blocking":%s,"blocked_by":%s,"muting":%s}',
                  to_json(EXISTS (SELECT FROM followers
                                   WHERE user_id = p_user_id AND follower_id = p_viewer_id)),
                  to_json(EXISTS (SELECT FROM followers
                                   WHERE user_id = p_viewer_id AND follower_id = p_user_id)),
                  to_json(EXISTS (SELECT FROM blocks
                                   WHERE blocker_id = p_viewer_id AND blocked_id = p_user_id)),
                  to_json(EXISTS (SELECT FROM blocks
                                   WHERE blocker_id = p_user_id AND blocked_id = p_viewer_id)),
                  to_json(social.muting(p_viewer_id, p_user_id)))::json;
END;
$$;

REVOKE ALL ON FUNCTION api.get_relationship(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_relationship(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.get_relationship(bigint, bigint) IS
    'How p_viewer_id and p_user_id stand, from the viewer''s side: {"following", "followed_by", '
    '"blocking", "blocked_by", "muting"}. Raises SN404 when p_user_id does not exist.';

COMMIT;
