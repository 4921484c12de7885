-- Verify gosocial:triggers/timeline_after_user_delete on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'social.users'::regclass
   AND tgname = 'timeline_after_user_delete'
   AND tgfoid = 'social.timeline_after_user_delete()'::regprocedure
   AND tgenabled = 'O';

ROLLBACK;
