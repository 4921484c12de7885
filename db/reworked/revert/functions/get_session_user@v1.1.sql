-- Revert gosocial:functions/get_session_user from pg

BEGIN;

DROP FUNCTION api.get_session_user(bigint);

COMMIT;
