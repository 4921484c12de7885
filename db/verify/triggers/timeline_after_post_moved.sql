-- Verify gosocial:triggers/timeline_after_post_moved on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'social.posts'::regclass
   AND tgname = 'timeline_after_post_moved'
   AND tgfoid = 'social.timeline_after_post_moved()'::regprocedure
   AND tgenabled = 'O';

ROLLBACK;
