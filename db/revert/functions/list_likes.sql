-- Revert gosocial:functions/list_likes from pg

BEGIN;

DROP FUNCTION api.list_likes(bigint, bigint, integer, timestamptz, bigint);

COMMIT;
