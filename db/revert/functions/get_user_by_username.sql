-- Revert gosocial:functions/get_user_by_username from pg

BEGIN;

DROP FUNCTION api.get_user_by_username(bigint, text);

COMMIT;
