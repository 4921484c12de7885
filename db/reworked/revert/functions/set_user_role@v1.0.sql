-- Revert gosocial:functions/set_user_role from pg

BEGIN;

DROP FUNCTION api.set_user_role(bigint, text);

COMMIT;
