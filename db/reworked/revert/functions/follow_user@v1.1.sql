-- Revert gosocial:functions/follow_user from pg

BEGIN;

DROP FUNCTION api.follow_user(bigint, bigint);

COMMIT;
