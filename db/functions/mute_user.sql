-- Deploy gosocial:functions/mute_user to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists

BEGIN;

CREATE OR REPLACE FUNCTION api.mute_user(p_muter_id bigint, p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_muter_id = p_user_id THEN
        RAISE EXCEPTION 'you cannot mute yourself' USING ERRCODE = 'SN400';
    END IF;
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    INSERT INTO mutes (muter_id, muted_id) VALUES (p_muter_id, p_user_id)
    ON CONFLICT DO NOTHING;
END;
$$;

REVOKE ALL ON FUNCTION api.mute_user(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.mute_user(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.mute_user(bigint, bigint) IS
    'Makes p_muter_id mute p_user_id (no error when it already does). Raises SN400 for oneself '
    '(checked first), SN404 when p_user_id does not exist.';

COMMIT;
