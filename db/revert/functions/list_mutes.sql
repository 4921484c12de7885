-- Revert gosocial:functions/list_mutes from pg

BEGIN;

DROP FUNCTION api.list_mutes(bigint, integer, timestamptz, bigint);

COMMIT;
