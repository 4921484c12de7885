-- Verify gosocial:functions/suspend_user on pg

BEGIN;

SELECT 1 / count(*) FROM pg_catalog.pg_proc
 WHERE oid = 'social.suspend_user(bigint)'::regprocedure
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
