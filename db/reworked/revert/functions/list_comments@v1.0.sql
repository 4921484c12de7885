-- Revert gosocial:functions/list_comments from pg

BEGIN;

DROP FUNCTION api.list_comments(bigint, integer, integer);

COMMIT;
