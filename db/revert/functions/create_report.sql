-- Revert gosocial:functions/create_report from pg

BEGIN;

DROP FUNCTION api.create_report(bigint, bigint, bigint, bigint, text);

COMMIT;
