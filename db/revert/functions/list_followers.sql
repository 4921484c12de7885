-- Revert gosocial:functions/list_followers from pg

BEGIN;

DROP FUNCTION api.list_followers(bigint, bigint, integer, timestamptz, bigint);

COMMIT;
