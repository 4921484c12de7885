-- Verify gosocial:functions/revoke_refresh_family on pg

BEGIN;

SELECT 'api.revoke_refresh_family(bytea, bigint)'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.revoke_refresh_family(bytea, bigint)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
