-- Deploy gosocial:functions/register_user to pg
-- requires: schema/users
-- requires: schema/invitations
-- requires: schema/shapes

BEGIN;

CREATE OR REPLACE FUNCTION api.register_user(
    p_username text,
    p_email text,
    p_password_hash text,
    p_token_hash bytea,
    p_invitation_ttl interval
)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user_id bigint;
    v_constraint text;
BEGIN
    -- Insert and catch rather than check first: two concurrent registrations
    -- of one name would both pass a check.
    BEGIN
        INSERT INTO users (username, email, password_hash)
        VALUES (p_username, p_email, p_password_hash)
        RETURNING id INTO v_user_id;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint = 'users_username_key' THEN
            RAISE EXCEPTION 'username is already taken' USING ERRCODE = 'SN409';
        ELSIF v_constraint = 'users_email_key' THEN
            RAISE EXCEPTION 'email is already registered' USING ERRCODE = 'SN409';
        END IF;
        RAISE;
    END;

    INSERT INTO invitations (token_hash, user_id, expires_at)
    VALUES (p_token_hash, v_user_id, now() + p_invitation_ttl);

    RETURN (SELECT social.user_json(u, r)
              FROM users u
              JOIN roles r ON r.id = u.role_id
             WHERE u.id = v_user_id);
END;
$$;

REVOKE ALL ON FUNCTION api.register_user(text, text, text, bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_user(text, text, text, bytea, interval) TO gosocial_app;

COMMENT ON FUNCTION api.register_user(text, text, text, bytea, interval) IS
    'Creates an inactive user with role "user" and its invitation (token hash, expiring after '
    'p_invitation_ttl) in one transaction; returns the user. Raises SN409 when the username '
    '(case-insensitive) or the email (case-insensitive) is taken.';

COMMIT;
