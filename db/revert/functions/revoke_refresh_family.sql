-- Revert gosocial:functions/revoke_refresh_family from pg

BEGIN;

DROP FUNCTION api.revoke_refresh_family(bytea, bigint);

COMMIT;
