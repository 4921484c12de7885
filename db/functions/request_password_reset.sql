-- Deploy gosocial:functions/request_password_reset to pg
-- requires: schema/password_resets

BEGIN;

-- No exception for an unknown or inactive address: the caller answers 202 either way and must
-- not be able to tell the cases apart.
CREATE OR REPLACE FUNCTION api.request_password_reset(p_email text, p_token_hash bytea, p_ttl interval)
RETURNS TABLE (username text, email text, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- One row per user: the newer token replaces the older one, which stops working.
    RETURN QUERY
    WITH target AS (
        SELECT u.id, u.username, u.email
          FROM users u
         WHERE lower(u.email) = lower(p_email)
           AND u.is_active
    ), stored AS (
        INSERT INTO password_resets AS pr (user_id, token_hash, expires_at)
        SELECT t.id, p_token_hash, now() + p_ttl FROM target t
        ON CONFLICT (user_id) DO UPDATE
           SET token_hash = excluded.token_hash, expires_at = excluded.expires_at
        RETURNING pr.user_id, pr.expires_at
    )
    SELECT t.username, t.email, s.expires_at FROM target t JOIN stored s ON s.user_id = t.id;
END;
$$;

REVOKE ALL ON FUNCTION api.request_password_reset(text, bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.request_password_reset(text, bytea, interval) TO gosocial_app;

COMMENT ON FUNCTION api.request_password_reset(text, bytea, interval) IS
    'For an active user with this email (case-insensitive): stores the reset token hash, '
    'expiring after p_ttl, in place of any older one, and returns the username, the email as '
    'stored and the expiry to mail. Zero rows for an unknown or inactive address. Raises nothing.';

COMMIT;
