-- Revert gosocial:functions/list_reports from pg

BEGIN;

DROP FUNCTION api.list_reports(bigint, text, integer, timestamptz, bigint);

COMMIT;
