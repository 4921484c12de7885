-- Revert gosocial:functions/purge_login_failures from pg

BEGIN;

DROP FUNCTION api.purge_login_failures();

COMMIT;
