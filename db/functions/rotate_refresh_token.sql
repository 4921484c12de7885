-- Deploy gosocial:functions/rotate_refresh_token to pg
-- requires: schema/refresh_tokens

BEGIN;

CREATE OR REPLACE FUNCTION api.rotate_refresh_token(p_old_hash bytea, p_new_hash bytea, p_ttl interval)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_user_id bigint;
    v_family_id uuid;
BEGIN
    -- The row lock decides concurrent rotations of one token: the loser
    -- re-checks used_at after the winner commits and matches nothing.
    UPDATE refresh_tokens t
       SET used_at = now()
     WHERE t.token_hash = p_old_hash
       AND t.used_at IS NULL
       AND t.revoked_at IS NULL
       AND t.expires_at > now()
       AND EXISTS (SELECT FROM users u WHERE u.id = t.user_id AND u.is_active)
    RETURNING t.user_id, t.family_id INTO v_user_id, v_family_id;

    IF v_user_id IS NOT NULL THEN
        INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
        VALUES (p_new_hash, v_user_id, v_family_id, now() + p_ttl);
        RETURN v_user_id;
    END IF;

    -- A used token presented again was copied: end the whole login. Returning
    -- NULL instead of raising keeps the revocation committed.
    UPDATE refresh_tokens t
       SET revoked_at = now()
     WHERE t.family_id = (SELECT o.family_id
                            FROM refresh_tokens o
                           WHERE o.token_hash = p_old_hash
                             AND o.used_at IS NOT NULL)
       AND t.revoked_at IS NULL;

    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION api.rotate_refresh_token(bytea, bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.rotate_refresh_token(bytea, bytea, interval) TO gosocial_app;

COMMENT ON FUNCTION api.rotate_refresh_token(bytea, bytea, interval) IS
    'Marks a valid refresh token (unused, unrevoked, unexpired, active user) used, stores '
    'p_new_hash in the same family and returns the user id. A token already used is treated as '
    'stolen: its whole family is revoked and NULL returned. Unknown, expired or revoked tokens '
    'return NULL. Raises no SN* code.';

COMMIT;
