-- Revert gosocial:functions/activate_user from pg

BEGIN;

DROP FUNCTION api.activate_user(bytea);

COMMIT;
