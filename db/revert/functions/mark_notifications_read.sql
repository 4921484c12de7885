-- Revert gosocial:functions/mark_notifications_read from pg

BEGIN;

DROP FUNCTION api.mark_notifications_read(bigint, bigint);

COMMIT;
