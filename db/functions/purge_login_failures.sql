-- Deploy gosocial:functions/purge_login_failures to pg
-- requires: schema/login_failures

BEGIN;

-- The sweeper's (api/sweeper.py): unknown emails get rows too, so passed windows are removed.
CREATE OR REPLACE FUNCTION api.purge_login_failures()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    -- Every worker of every instance sweeps; one at a time is enough, the others skip.
    IF NOT pg_try_advisory_xact_lock(hashtext('api.purge_login_failures')) THEN
        RETURN 0;
    END IF;
    DELETE FROM login_failures WHERE window_ends <= now();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

REVOKE ALL ON FUNCTION api.purge_login_failures() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_login_failures() TO gosocial_app;

COMMENT ON FUNCTION api.purge_login_failures() IS
    'Deletes the failed-login counts whose window has passed; returns how many (0 when another '
    'sweep holds the advisory lock). Raises no SN* code.';

COMMIT;
