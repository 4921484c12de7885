-- Verify gosocial:functions/user_feed on pg

BEGIN;

SELECT 'api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz)'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
