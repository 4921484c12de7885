-- Revert gosocial:functions/get_user from pg

BEGIN;

DROP FUNCTION api.get_user(bigint);

COMMIT;
