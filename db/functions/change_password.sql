-- Deploy gosocial:functions/change_password to pg
-- requires: schema/password_resets
-- requires: schema/token_epoch
-- requires: schema/refresh_tokens

BEGIN;

CREATE OR REPLACE FUNCTION api.change_password(p_user_id bigint, p_current_hash text, p_password_hash text)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_epoch integer;
BEGIN
    -- p_current_hash is the hash the caller checked the current password against: if the
    -- password changed meanwhile (another change, a reset), that check no longer holds.
    UPDATE users
       SET password_hash = p_password_hash,
           token_epoch = token_epoch + 1,
           updated_at = now()
     WHERE id = p_user_id
       AND password_hash = p_current_hash
    RETURNING token_epoch INTO v_epoch;

    IF v_epoch IS NULL THEN
        RAISE EXCEPTION 'the current password is wrong' USING ERRCODE = 'SN403';
    END IF;

    UPDATE refresh_tokens
       SET revoked_at = now()
     WHERE user_id = p_user_id
       AND revoked_at IS NULL;
    -- A reset link mailed before no longer applies to this password.
    DELETE FROM password_resets WHERE user_id = p_user_id;

    RETURN v_epoch;
END;
$$;

REVOKE ALL ON FUNCTION api.change_password(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.change_password(bigint, text, text) TO gosocial_app;

COMMENT ON FUNCTION api.change_password(bigint, text, text) IS
    'Replaces the user''s password hash if it still is p_current_hash, bumps its token epoch, '
    'revokes all its refresh tokens (the caller issues the new login''s afterwards), drops its '
    'pending reset token and returns the new epoch. Raises SN403 when the user does not exist '
    'or its password hash is not p_current_hash.';

COMMIT;
