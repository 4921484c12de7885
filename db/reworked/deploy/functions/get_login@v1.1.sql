-- Deploy gosocial:functions/get_login to pg
-- requires: schema/users

BEGIN;

-- No exception for an unknown email: the caller answers 401 either way and
-- must not be able to tell the cases apart.
CREATE OR REPLACE FUNCTION api.get_login(p_email text)
RETURNS TABLE (user_id bigint, password_hash text, is_active boolean)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
    SELECT u.id, u.password_hash, u.is_active
      FROM users u
     WHERE lower(u.email) = lower(p_email);
$$;

REVOKE ALL ON FUNCTION api.get_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_login(text) TO gosocial_app;

COMMENT ON FUNCTION api.get_login(text) IS
    'Returns the user id, password hash and active flag for an email (case-insensitive); '
    'zero rows when unknown. Raises nothing.';

COMMIT;
