-- Deploy gosocial:functions/resend_invitation to pg
-- requires: schema/suspensions
-- requires: schema/invitations
-- requires: functions/login_attempt

BEGIN;

-- No exception for an unknown, active or suspended address: the caller answers 202 either way
-- and must not be able to tell the cases apart, by the answer or by its time. So the attempt is
-- counted (api.login_attempt, a write for every address) in the same transaction as the new
-- invitation: one round trip and one commit whatever the address, where two calls would give a
-- waiting account a second commit of its own.
CREATE OR REPLACE FUNCTION api.resend_invitation(p_email text, p_token_hash bytea, p_ttl interval,
                                                 p_max_failures integer, p_window interval)
RETURNS TABLE (retry_after integer, username text, email text, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user users;
BEGIN
    retry_after := api.login_attempt(p_email, p_max_failures, p_window);
    IF retry_after > 0 THEN
        RETURN NEXT;  -- throttled: nothing else
        RETURN;
    END IF;
    -- The row lock orders this with an activation (which makes the account active: nothing to
    -- send) and with the sweep of expired invitations (which deletes it: nothing to send).
    SELECT * INTO v_user
      FROM users u
     WHERE lower(u.email) = lower(p_email)
       AND NOT u.is_active
       AND u.suspended_at IS NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEXT;  -- nothing to send
        RETURN;
    END IF;
    -- The older links stop working: one live invitation, the one about to be mailed.
    DELETE FROM invitations i WHERE i.user_id = v_user.id;
    INSERT INTO invitations (token_hash, user_id, expires_at)
    VALUES (p_token_hash, v_user.id, now() + p_ttl);
    username := v_user.username;
    email := v_user.email;
    expires_at := now() + p_ttl;
    RETURN NEXT;
END;
$$;

REVOKE ALL ON FUNCTION api.resend_invitation(text, bytea, interval, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.resend_invitation(text, bytea, interval, integer, interval) TO gosocial_app;

COMMENT ON FUNCTION api.resend_invitation(text, bytea, interval, integer, interval) IS
    'Counts an attempt against the login throttle of p_email (as api.login_attempt, known or '
    'not); unless that throttles it, for a never-activated, unsuspended user with this email '
    '(case-insensitive) replaces its invitations by one with this token hash, expiring after '
    'p_ttl. Returns one row: retry_after (api.login_attempt''s answer: 0, or the seconds until '
    'the window passes), then the username, the email as stored and the expiry to mail, NULL '
    'when nothing is to be sent (throttled; an unknown, active or suspended address). Raises '
    'SN400 as api.login_attempt does.';

COMMIT;
