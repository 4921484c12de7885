-- Revert gosocial:functions/register_user from pg

BEGIN;

DROP FUNCTION api.register_user(text, text, text, bytea, interval);

COMMIT;
