-- Revert gosocial:functions/set_user_role from pg: back to its @v1.0 version

BEGIN;

DROP FUNCTION api.set_user_role(bigint, text, bigint);

CREATE OR REPLACE FUNCTION api.set_user_role(p_user_id bigint, p_role text)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_role roles;
    v_user json;
BEGIN
    SELECT * INTO v_role FROM roles WHERE name = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown role' USING ERRCODE = 'SN400';
    END IF;

    UPDATE users u
       SET role_id = v_role.id, updated_at = now()
     WHERE u.id = p_user_id
    RETURNING social.user_json(u, v_role) INTO v_user;

    IF v_user IS NULL THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN v_user;
END;
$$;

REVOKE ALL ON FUNCTION api.set_user_role(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_user_role(bigint, text) TO gosocial_app;

COMMENT ON FUNCTION api.set_user_role(bigint, text) IS
    'Gives the user the named role (user, moderator, admin) and returns the user. '
    'Raises SN400 for an unknown role, SN404 when the user does not exist.';

COMMIT;
