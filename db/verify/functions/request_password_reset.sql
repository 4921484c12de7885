-- Verify gosocial:functions/request_password_reset on pg

BEGIN;

SELECT 1 / count(*) FROM pg_catalog.pg_proc
 WHERE oid = 'api.request_password_reset(text, bytea, interval)'::regprocedure AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
