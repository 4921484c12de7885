-- Deploy gosocial:functions/get_session_user to pg
-- requires: schema/token_epoch
-- requires: schema/shapes
-- requires: schema/profile_shape
-- requires: schema/visibility

BEGIN;

-- What the service caches for an authenticated user: the user as the API shows it (with its
-- counts, revision 1.2), beside it (never inside it) the token epoch an access token must
-- carry, and the users a block separates from it, so that a cached profile of one of them
-- answers 404 without another round trip. A column added to the 1.1 answer: 1.1 instances
-- still running during an upgrade read the two they know.
DROP FUNCTION api.get_session_user(bigint);

CREATE FUNCTION api.get_session_user(p_user_id bigint)
RETURNS TABLE (user_json json, token_epoch integer, separated bigint[])
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT social.profile_json(u, r), u.token_epoch,
           ARRAY(SELECT social.separated_from(u.id) ORDER BY 1)
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
    'Returns the user as json (with its counts), its token epoch and the ids of the users a '
    'block separates from it, for the service''s user cache. Raises SN404 when the user does '
    'not exist.';

COMMIT;
