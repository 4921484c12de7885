-- Deploy gosocial:functions/purge_expired_invitations to pg
-- requires: schema/users
-- requires: schema/invitations

BEGIN;

-- The sweep behind the registration saga: a crash between registering and
-- mailing leaves a user that can never activate; this removes it later.
CREATE OR REPLACE FUNCTION api.purge_expired_invitations()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    -- Every worker of every instance runs the sweep; one at a time is enough, the others skip.
    IF NOT pg_try_advisory_xact_lock(hashtext('api.purge_expired_invitations')) THEN
        RETURN 0;
    END IF;
    -- "Has an expired invitation and no live one" equals "has invitations and
    -- all expired", and starts from invitations_expires_at_idx, not all users.
    DELETE FROM users u
     WHERE u.id IN (SELECT i.user_id FROM invitations i WHERE i.expires_at <= now())
       AND NOT u.is_active
       AND NOT EXISTS (SELECT FROM invitations i WHERE i.user_id = u.id AND i.expires_at > now());
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

REVOKE ALL ON FUNCTION api.purge_expired_invitations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_expired_invitations() TO gosocial_app;

COMMENT ON FUNCTION api.purge_expired_invitations() IS
    'Deletes inactive users that have invitations and whose every invitation has expired '
    '(with everything of theirs); returns how many users were removed (0 when another sweep '
    'holds the advisory lock). Raises no SN* code.';

COMMIT;
