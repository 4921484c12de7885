-- Revert gosocial:functions/unfollow_user from pg

BEGIN;

DROP FUNCTION api.unfollow_user(bigint, bigint);

COMMIT;
