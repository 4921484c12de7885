-- Revert gosocial:functions/delete_post from pg

BEGIN;

DROP FUNCTION api.delete_post(bigint, bigint);

COMMIT;
