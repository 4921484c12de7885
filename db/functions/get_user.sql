-- Deploy gosocial:functions/get_user to pg
-- requires: schema/users
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/profile_shape

BEGIN;

CREATE OR REPLACE FUNCTION api.get_user(p_user_id bigint)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user json;
BEGIN
    SELECT social.profile_json(u, r)
      INTO v_user
      FROM users u
      JOIN roles r ON r.id = u.role_id
     WHERE u.id = p_user_id;

    IF v_user IS NULL THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN v_user;
END;
$$;

REVOKE ALL ON FUNCTION api.get_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_user(bigint) TO gosocial_app;

COMMENT ON FUNCTION api.get_user(bigint) IS
    'Returns the user with its role and counts as json. Raises SN404 when the user does not exist.';

COMMIT;
