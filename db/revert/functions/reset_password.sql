-- Revert gosocial:functions/reset_password from pg

BEGIN;

DROP FUNCTION api.reset_password(bytea, text);

COMMIT;
