-- Deploy gosocial:functions/get_session_user to pg
-- requires: schema/token_epoch
-- requires: schema/shapes

BEGIN;

-- What the service caches for an authenticated user: the user as the API shows it, and beside
-- it (never inside it) the token epoch an access token must carry.
CREATE OR REPLACE FUNCTION api.get_session_user(p_user_id bigint)
RETURNS TABLE (user_json json, token_epoch integer)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT social.user_json(u, r), u.token_epoch
      FROM users u
      JOIN roles r ON r.id = u.role_id
     WHERE u.id = p_user_id;

    IF NOT FOUND THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION api.get_session_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_session_user(bigint) TO gosocial_app;

COMMENT ON FUNCTION api.get_session_user(bigint) IS
    'Returns the user as json (as api.get_user) and its token epoch, for the service''s user '
    'cache. Raises SN404 when the user does not exist.';

COMMIT;
