-- Revert gosocial:functions/delete_comment from pg

BEGIN;

DROP FUNCTION api.delete_comment(bigint, bigint, bigint);

COMMIT;
