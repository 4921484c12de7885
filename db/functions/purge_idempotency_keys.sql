-- Deploy gosocial:functions/purge_idempotency_keys to pg
-- requires: schema/idempotency_keys

BEGIN;

-- The sweeper's (api/sweeper.py): keys are kept 24 hours (docs/api.md), then forgotten.
CREATE OR REPLACE FUNCTION api.purge_idempotency_keys()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    -- Every worker of every instance sweeps; one at a time is enough, the others skip.
    IF NOT pg_try_advisory_xact_lock(hashtext('api.purge_idempotency_keys')) THEN
        RETURN 0;
    END IF;
    DELETE FROM idempotency_keys WHERE created_at <= now() - idempotency_ttl();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

REVOKE ALL ON FUNCTION api.purge_idempotency_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_idempotency_keys() TO gosocial_app;

COMMENT ON FUNCTION api.purge_idempotency_keys() IS
    'Deletes the idempotency keys older than 24 hours (their keys may then be used again); '
    'returns how many (0 when another sweep holds the advisory lock). Raises no SN* code.';

COMMIT;
