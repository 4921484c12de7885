-- Revert gosocial:functions/search_users from pg

BEGIN;

DROP FUNCTION api.search_users(bigint, text, integer);

COMMIT;
