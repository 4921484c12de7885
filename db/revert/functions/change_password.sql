-- Revert gosocial:functions/change_password from pg

BEGIN;

DROP FUNCTION api.change_password(bigint, text, text);

COMMIT;
