-- Revert gosocial:functions/set_user_role from pg: back to its @v1.1 version
-- requires: schema/users
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/permissions

BEGIN;

-- The acting user is a new parameter: the old signature goes, or both would stay callable.
DROP FUNCTION IF EXISTS api.set_user_role(bigint, text);

CREATE OR REPLACE FUNCTION api.set_user_role(p_user_id bigint, p_role text,
                                             p_actor_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_role roles;
    v_user json;
BEGIN
    IF p_actor_id IS NULL THEN
        -- An operator in psql, which is how the first admin is made. The application always
        -- names its actor, so its login role (a member of gosocial_app) may not leave it out.
        IF pg_has_role(session_user, 'gosocial_app', 'MEMBER')
           AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
            RAISE EXCEPTION 'the acting user is required' USING ERRCODE = 'SN403';
        END IF;
    ELSIF NOT social.has_role(p_actor_id, 'admin') THEN
        RAISE EXCEPTION 'only admins may change roles' USING ERRCODE = 'SN403';
    END IF;

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

REVOKE ALL ON FUNCTION api.set_user_role(bigint, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_user_role(bigint, text, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.set_user_role(bigint, text, bigint) IS
    'Gives the user the named role (user, moderator, admin) and returns the user. The actor '
    'must be an admin; without an actor only an operator (not the application''s role) may call '
    'it. Raises SN403 when the actor may not, SN400 for an unknown role, SN404 when the user '
    'does not exist.';

COMMIT;
