-- Revert gosocial:functions/count_unread_notifications from pg

BEGIN;

DROP FUNCTION api.count_unread_notifications(bigint);

COMMIT;
