-- Revert gosocial:functions/mute_user from pg

BEGIN;

DROP FUNCTION api.mute_user(bigint, bigint);

COMMIT;
