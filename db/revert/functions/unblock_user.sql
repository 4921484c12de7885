-- Revert gosocial:functions/unblock_user from pg

BEGIN;

DROP FUNCTION api.unblock_user(bigint, bigint);

COMMIT;
