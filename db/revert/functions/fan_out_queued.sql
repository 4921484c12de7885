-- Revert gosocial:functions/fan_out_queued from pg

BEGIN;

DROP FUNCTION api.fan_out_queued(integer);

COMMIT;
