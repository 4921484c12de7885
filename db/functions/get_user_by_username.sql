-- Deploy gosocial:functions/get_user_by_username to pg
-- requires: schema/visibility
-- requires: schema/user_lists
-- requires: schema/profile_shape

BEGIN;

CREATE OR REPLACE FUNCTION api.get_user_by_username(p_viewer_id bigint, p_username text)
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
     WHERE lower(u.username) = lower(p_username)
       AND NOT social.separated(p_viewer_id, u.id);
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    RETURN v_user;
END;
$$;

REVOKE ALL ON FUNCTION api.get_user_by_username(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_user_by_username(bigint, text) TO gosocial_app;

COMMENT ON FUNCTION api.get_user_by_username(bigint, text) IS
    'Returns the user named p_username (compared case-insensitively) with its counts. Raises '
    'SN404 when there is none or a block stands between it and p_viewer_id.';

COMMIT;
