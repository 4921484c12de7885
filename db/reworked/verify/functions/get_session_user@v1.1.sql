-- Verify gosocial:functions/get_session_user on pg

BEGIN;

SELECT 1 / count(*) FROM pg_catalog.pg_proc
 WHERE oid = 'api.get_session_user(bigint)'::regprocedure AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
