-- Revert gosocial:functions/block_user from pg

BEGIN;

DROP FUNCTION api.block_user(bigint, bigint);

COMMIT;
