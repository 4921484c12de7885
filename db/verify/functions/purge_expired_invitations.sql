-- Verify gosocial:functions/purge_expired_invitations on pg

BEGIN;

SELECT 'api.purge_expired_invitations()'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.purge_expired_invitations()'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
