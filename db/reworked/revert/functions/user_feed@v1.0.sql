-- Revert gosocial:functions/user_feed from pg

BEGIN;

DROP FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz);

COMMIT;
