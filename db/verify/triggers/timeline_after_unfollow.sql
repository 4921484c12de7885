-- Verify gosocial:triggers/timeline_after_unfollow on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'social.followers'::regclass
   AND tgname = 'timeline_after_unfollow'
   AND tgfoid = 'social.timeline_after_unfollow()'::regprocedure
   AND tgenabled = 'O';

ROLLBACK;
