-- Revert gosocial:functions/get_user from pg: back to its @v1.1 version
-- requires: schema/users
-- requires: schema/roles
-- requires: schema/shapes

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
    SELECT social.user_json(u, r)
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
    'Returns the user with its role as json. Raises SN404 when the user does not exist.';

COMMIT;
