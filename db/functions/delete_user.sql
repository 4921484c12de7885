-- Deploy gosocial:functions/delete_user to pg
-- requires: schema/users

BEGIN;

CREATE OR REPLACE FUNCTION api.delete_user(p_user_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- Foreign keys cascade to invitations, tokens, posts, comments and follows.
    DELETE FROM users WHERE id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION api.delete_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_user(bigint) TO gosocial_app;

COMMENT ON FUNCTION api.delete_user(bigint) IS
    'Deletes a user with its invitations, refresh tokens, posts, comments and follows '
    '(also the registration saga''s compensation). Raises SN404 when the user does not exist.';

COMMIT;
