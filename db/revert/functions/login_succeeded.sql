-- Revert gosocial:functions/login_succeeded from pg

BEGIN;

DROP FUNCTION api.login_succeeded(text);

COMMIT;
