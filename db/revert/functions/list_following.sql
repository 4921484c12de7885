-- Revert gosocial:functions/list_following from pg

BEGIN;

DROP FUNCTION api.list_following(bigint, bigint, integer, timestamptz, bigint);

COMMIT;
