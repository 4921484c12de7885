-- Revert gosocial:functions/unlike_post from pg

BEGIN;

DROP FUNCTION api.unlike_post(bigint, bigint);

COMMIT;
