-- Verify gosocial:functions/get_user_by_username on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.get_user_by_username(bigint, text)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
