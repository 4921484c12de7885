-- Revert gosocial:functions/fan_out from pg

BEGIN;

DROP FUNCTION social.fan_out(bigint[], boolean);

COMMIT;
