-- Deploy gosocial:functions/login_attempt to pg
-- requires: schema/login_failures

BEGIN;

-- Counted before the password is checked, as a failure until api.login_succeeded says
-- otherwise: concurrent guesses cannot all pass the check before the first failure is written
-- (the row lock makes them take turns).
CREATE OR REPLACE FUNCTION api.login_attempt(p_email text, p_max_failures integer, p_window interval)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_failures integer;
    v_ends     timestamptz;
BEGIN
    IF p_email IS NULL OR coalesce(p_max_failures, 0) < 1 OR coalesce(p_window, interval '0') <= interval '0' THEN
        RAISE EXCEPTION 'an email, a positive failure limit and a positive window are required'
            USING ERRCODE = 'SN400';
    END IF;
    INSERT INTO login_failures AS f (email, failures, window_ends)
    VALUES (lower(p_email), 1, now() + p_window)
    ON CONFLICT (email) DO UPDATE
       SET failures    = CASE WHEN f.window_ends <= now() THEN 1
                              ELSE least(f.failures + 1, p_max_failures + 1) END,
           window_ends = CASE WHEN f.window_ends <= now() THEN now() + p_window
                              ELSE f.window_ends END
    RETURNING f.failures, f.window_ends INTO v_failures, v_ends;
    IF v_failures <= p_max_failures THEN
        RETURN 0;
    END IF;
    RETURN greatest(1, ceil(extract(epoch FROM v_ends - now())))::integer;
END;
$$;

REVOKE ALL ON FUNCTION api.login_attempt(text, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.login_attempt(text, integer, interval) TO gosocial_app;

COMMENT ON FUNCTION api.login_attempt(text, integer, interval) IS
    'Counts a login attempt for p_email (case-insensitive, known or not) as a failure within a '
    'window of p_window from the first one; returns 0 when the attempt may go on (at most '
    'p_max_failures in the window), else the whole seconds until the window passes (at least '
    '1). Raises SN400 without an email or with a limit or window below 1.';

COMMIT;
