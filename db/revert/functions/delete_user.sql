-- Revert gosocial:functions/delete_user from pg

BEGIN;

DROP FUNCTION api.delete_user(bigint);

COMMIT;
