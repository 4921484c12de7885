-- Verify gosocial:functions/rebuild_timelines on pg

BEGIN;

SELECT 'social.rebuild_timelines()'::regprocedure;

ROLLBACK;
