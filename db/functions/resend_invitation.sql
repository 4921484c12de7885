-- Deploy gosocial:functions/resend_invitation to pg
-- requires: schema/suspensions
-- requires: schema/invitations

BEGIN;

-- No exception for an unknown, active or suspended address: the caller answers 202 either way
-- and must not be able to tell the cases apart.
CREATE OR REPLACE FUNCTION api.resend_invitation(p_email text, p_token_hash bytea, p_ttl interval)
RETURNS TABLE (username text, email text, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user users;
BEGIN
    -- The row lock orders this with an activation (which makes the account active: nothing to
    -- send) and with the sweep of expired invitations (which deletes it: nothing to send).
    SELECT * INTO v_user
      FROM users u
     WHERE lower(u.email) = lower(p_email)
       AND NOT u.is_active
       AND u.suspended_at IS NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- The older links stop working: one live invitation, the one about to be mailed.
    DELETE FROM invitations i WHERE i.user_id = v_user.id;
    INSERT INTO invitations (token_hash, user_id, expires_at)
    VALUES (p_token_hash, v_user.id, now() + p_ttl);
    RETURN QUERY SELECT v_user.username, v_user.email, now() + p_ttl;
END;
$$;

REVOKE ALL ON FUNCTION api.resend_invitation(text, bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.resend_invitation(text, bytea, interval) TO gosocial_app;

COMMENT ON FUNCTION api.resend_invitation(text, bytea, interval) IS
    'For a never-activated, unsuspended user with this email (case-insensitive): replaces its '
    'invitations by one with this token hash, expiring after p_ttl, and returns the username, '
    'the email as stored and the expiry to mail. Zero rows for an unknown, active or suspended '
    'address. Raises nothing.';

COMMIT;
