-- Verify gosocial:functions/rotate_refresh_token on pg

BEGIN;

SELECT 'api.rotate_refresh_token(bytea, bytea, interval)'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.rotate_refresh_token(bytea, bytea, interval)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
