-- Deploy gosocial:functions/reset_password to pg
-- requires: schema/password_resets
-- requires: schema/token_epoch
-- requires: schema/refresh_tokens

BEGIN;

CREATE OR REPLACE FUNCTION api.reset_password(p_token_hash bytea, p_password_hash text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user_id bigint;
BEGIN
    -- Consuming the token first makes it single use: a concurrent reset with the same token
    -- waits on the row and then finds nothing.
    DELETE FROM password_resets pr
     WHERE pr.token_hash = p_token_hash
       AND pr.expires_at > now()
    RETURNING pr.user_id INTO v_user_id;

    IF v_user_id IS NULL THEN
        RAISE EXCEPTION 'this reset link is unknown, used or expired' USING ERRCODE = 'SN400';
    END IF;

    -- A new epoch: every access token issued before is refused from now on.
    UPDATE users
       SET password_hash = p_password_hash,
           token_epoch = token_epoch + 1,
           updated_at = now()
     WHERE id = v_user_id;
    UPDATE refresh_tokens
       SET revoked_at = now()
     WHERE user_id = v_user_id
       AND revoked_at IS NULL;

    RETURN v_user_id;
END;
$$;

REVOKE ALL ON FUNCTION api.reset_password(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reset_password(bytea, text) TO gosocial_app;

COMMENT ON FUNCTION api.reset_password(bytea, text) IS
    'Consumes a live reset token: sets the user''s password hash, bumps its token epoch, '
    'revokes all its refresh tokens and returns the user id. Raises SN400 when the token is '
    'unknown, already used, replaced by a newer one or expired.';

COMMIT;
