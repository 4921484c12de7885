-- Revert gosocial:functions/list_notifications from pg

BEGIN;

DROP FUNCTION api.list_notifications(bigint, integer, text[], timestamptz, bigint);

COMMIT;
