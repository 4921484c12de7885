-- Revert gosocial:functions/get_login from pg

BEGIN;

DROP FUNCTION api.get_login(text);

COMMIT;
