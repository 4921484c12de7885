-- Revert gosocial:functions/login_attempt from pg

BEGIN;

DROP FUNCTION api.login_attempt(text, integer, interval);

COMMIT;
