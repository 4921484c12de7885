-- Revert gosocial:functions/resend_invitation from pg

BEGIN;

DROP FUNCTION api.resend_invitation(text, bytea, interval, integer, interval);

COMMIT;
