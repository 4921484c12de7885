-- Revert gosocial:functions/create_comment_once from pg

BEGIN;

DROP FUNCTION api.create_comment_once(bigint, bigint, text, bytea, text);

COMMIT;
