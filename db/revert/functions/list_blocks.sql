-- Revert gosocial:functions/list_blocks from pg

BEGIN;

DROP FUNCTION api.list_blocks(bigint, integer, timestamptz, bigint);

COMMIT;
