-- Revert gosocial:functions/rotate_refresh_token from pg

BEGIN;

DROP FUNCTION api.rotate_refresh_token(bytea, bytea, interval);

COMMIT;
