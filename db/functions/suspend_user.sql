-- Deploy gosocial:functions/suspend_user to pg
-- requires: schema/suspensions
-- requires: schema/refresh_tokens
-- requires: schema/invitations
-- requires: schema/password_resets

BEGIN;

-- A helper of api.close_report, out of the application role's reach.
CREATE OR REPLACE FUNCTION social.suspend_user(p_user_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- The token epoch ends its access tokens (the service drops its cached entry), the revoked
    -- refresh tokens its logins; its posts and comments stay.
    UPDATE users
       SET is_active = false,
           suspended_at = coalesce(suspended_at, now()),
           token_epoch = token_epoch + 1,
           updated_at = now()
     WHERE id = p_user_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = p_user_id AND revoked_at IS NULL;
    -- No link in mail may bring it back: an activation link would make it active again, a reset
    -- link would log it in (and an expired invitation would let the sweep delete the account).
    DELETE FROM invitations WHERE user_id = p_user_id;
    DELETE FROM password_resets WHERE user_id = p_user_id;
    RETURN true;
END;
$$;

REVOKE ALL ON FUNCTION social.suspend_user(bigint) FROM PUBLIC;

COMMENT ON FUNCTION social.suspend_user(bigint) IS
    'Suspends a user: inactive, suspended_at set (kept if already suspended), token epoch bumped, '
    'refresh tokens revoked, invitations and reset tokens deleted; posts and comments stay. '
    'Returns false when the user does not exist.';

COMMIT;
