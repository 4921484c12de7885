-- Deploy gosocial:functions/login_succeeded to pg
-- requires: schema/login_failures

BEGIN;

CREATE OR REPLACE FUNCTION api.login_succeeded(p_email text)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
    DELETE FROM login_failures WHERE email = lower(p_email);
$$;

REVOKE ALL ON FUNCTION api.login_succeeded(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.login_succeeded(text) TO gosocial_app;

COMMENT ON FUNCTION api.login_succeeded(text) IS
    'The right password was given for p_email (case-insensitive): forgets its counted attempts '
    '(a successful login clears the count). Raises nothing.';

COMMIT;
