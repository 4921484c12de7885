-- Revert gosocial:functions/request_password_reset from pg

BEGIN;

DROP FUNCTION api.request_password_reset(text, bytea, interval);

COMMIT;
