-- Verify gosocial:functions/fan_out on pg

BEGIN;

SELECT 'social.fan_out(bigint[], boolean)'::regprocedure;

ROLLBACK;
