-- Revert gosocial:functions/get_post from pg

BEGIN;

DROP FUNCTION api.get_post(bigint);

COMMIT;
