-- Verify gosocial:functions/list_notifications on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.list_notifications(bigint, integer, text[], timestamptz, bigint)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
