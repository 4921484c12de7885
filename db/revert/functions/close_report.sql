-- Revert gosocial:functions/close_report from pg

BEGIN;

DROP FUNCTION api.close_report(bigint, bigint, text, text);

COMMIT;
