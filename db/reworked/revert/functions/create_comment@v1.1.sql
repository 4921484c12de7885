-- Revert gosocial:functions/create_comment from pg

BEGIN;

DROP FUNCTION api.create_comment(bigint, bigint, text);

COMMIT;
