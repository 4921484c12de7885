-- Verify gosocial:functions/register_user on pg

BEGIN;

SELECT 'api.register_user(text, text, text, bytea, interval)'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.register_user(text, text, text, bytea, interval)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
