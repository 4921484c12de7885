-- Verify gosocial:functions/trim_timelines on pg

BEGIN;

SELECT 'social.trim_timelines(bigint[])'::regprocedure;

ROLLBACK;
