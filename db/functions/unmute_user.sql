-- Deploy gosocial:functions/unmute_user to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists

BEGIN;

CREATE OR REPLACE FUNCTION api.unmute_user(p_muter_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    DELETE FROM mutes WHERE muter_id = p_muter_id AND muted_id = p_user_id;
END;
$$;

REVOKE ALL ON FUNCTION api.unmute_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.unmute_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.unmute_user(bigint, bigint) IS
    'Removes p_muter_id''s mute of p_user_id (no error when there is none). Raises SN404 when '
    'p_user_id does not exist.';

COMMIT;
