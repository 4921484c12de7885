-- Verify gosocial:triggers/timeline_after_follow on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'social.followers'::regclass
   AND tgname = 'timeline_after_follow'
   AND tgfoid = 'social.timeline_after_follow()'::regprocedure
   AND tgenabled = 'O';

ROLLBACK;
