-- Deploy gosocial:functions/issue_refresh_token to pg
-- requires: schema/refresh_tokens

BEGIN;

CREATE OR REPLACE FUNCTION api.issue_refresh_token(p_user_id bigint, p_token_hash bytea, p_family_id uuid, p_ttl interval)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
    VALUES (p_token_hash, p_user_id, p_family_id, now() + p_ttl);
END;
$$;

REVOKE ALL ON FUNCTION api.issue_refresh_token(bigint, bytea, uuid, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.issue_refresh_token(bigint, bytea, uuid, interval) TO gosocial_app;

COMMENT ON FUNCTION api.issue_refresh_token(bigint, bytea, uuid, interval) IS
    'Stores the hash of a new refresh token in family p_family_id (a fresh uuid per login), '
    'expiring after p_ttl. Raises no SN* code.';

COMMIT;
