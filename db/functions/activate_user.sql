-- Deploy gosocial:functions/activate_user to pg
-- requires: schema/users
-- requires: schema/invitations

BEGIN;

CREATE OR REPLACE FUNCTION api.activate_user(p_token_hash bytea)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user_id bigint;
BEGIN
    -- Consuming the invitation first makes it single use: a concurrent
    -- activation with the same token waits on the row and then finds nothing.
    DELETE FROM invitations
     WHERE token_hash = p_token_hash
       AND expires_at > now()
    RETURNING user_id INTO v_user_id;

    IF v_user_id IS NULL THEN
        RAISE EXCEPTION 'invitation not found or expired' USING ERRCODE = 'SN404';
    END IF;

    UPDATE users SET is_active = true, updated_at = now() WHERE id = v_user_id;
    DELETE FROM invitations WHERE user_id = v_user_id;

    RETURN v_user_id;
END;
$$;

REVOKE ALL ON FUNCTION api.activate_user(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.activate_user(bytea) TO gosocial_app;

COMMENT ON FUNCTION api.activate_user(bytea) IS
    'Activates the user invited with this token hash, deletes the user''s invitations and '
    'returns the user id. Raises SN404 when the token is unknown, already used or expired.';

COMMIT;
