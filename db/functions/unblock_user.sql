-- Deploy gosocial:functions/unblock_user to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists

BEGIN;

CREATE OR REPLACE FUNCTION api.unblock_user(p_blocker_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    -- Visibility comes back; the follows the block ended do not.
    DELETE FROM blocks WHERE blocker_id = p_blocker_id AND blocked_id = p_user_id;
END;
$$;

REVOKE ALL ON FUNCTION api.unblock_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.unblock_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.unblock_user(bigint, bigint) IS
    'Removes p_blocker_id''s block of p_user_id (no error when there is none). Raises SN404 '
    'when p_user_id does not exist.';

COMMIT;
