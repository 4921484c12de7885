-- Deploy gosocial:functions/revoke_refresh_family to pg
-- requires: schema/refresh_tokens

BEGIN;

CREATE OR REPLACE FUNCTION api.revoke_refresh_family(p_token_hash bytea, p_user_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_family_id uuid;
BEGIN
    -- A token of someone else is treated like an unknown one.
    SELECT t.family_id INTO v_family_id
      FROM refresh_tokens t
     WHERE t.token_hash = p_token_hash
       AND t.user_id = p_user_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE refresh_tokens
       SET revoked_at = now()
     WHERE family_id = v_family_id
       AND revoked_at IS NULL;
    RETURN true;
END;
$$;

REVOKE ALL ON FUNCTION api.revoke_refresh_family(bytea, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.revoke_refresh_family(bytea, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.revoke_refresh_family(bytea, bigint) IS
    'Logout: revokes every refresh token of the family of p_token_hash if that token belongs to '
    'p_user_id, returning true; false when the token is unknown or someone else''s. '
    'Raises no SN* code.';

COMMIT;
