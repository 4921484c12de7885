-- Verify gosocial:functions/count_unread_notifications on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.count_unread_notifications(bigint)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
