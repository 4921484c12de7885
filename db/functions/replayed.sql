-- Deploy gosocial:functions/replayed to pg

BEGIN;

-- Read-your-writes on replicas (api/replicas.py): a caller's read goes to a standby only once
-- the standby has replayed the caller's last write. Polling here, on the standby, costs the
-- service one round trip however long the wait.
CREATE FUNCTION api.replayed(p_lsn pg_lsn, p_wait_ms integer)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_until timestamptz := clock_timestamp() + make_interval(secs => least(greatest(p_wait_ms, 0), 1000) / 1000.0);
BEGIN
    IF p_lsn IS NULL THEN
        RAISE EXCEPTION 'a WAL position is required' USING ERRCODE = 'SN400';
    END IF;
    LOOP
        -- A primary has everything it wrote.
        IF NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= p_lsn THEN
            RETURN true;
        END IF;
        IF clock_timestamp() >= v_until THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.002);
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION api.replayed(pg_lsn, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.replayed(pg_lsn, integer) TO gosocial_app;

COMMENT ON FUNCTION api.replayed(pg_lsn, integer) IS
    'true once this server has replayed WAL up to p_lsn (at once on a primary), false when it '
    'has not within p_wait_ms milliseconds (at most 1,000). Raises SN400 when p_lsn is NULL.';

COMMIT;
