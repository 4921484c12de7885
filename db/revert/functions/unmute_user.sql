-- Revert gosocial:functions/unmute_user from pg

BEGIN;

DROP FUNCTION api.unmute_user(bigint, bigint);

COMMIT;
