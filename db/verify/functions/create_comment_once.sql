-- Verify gosocial:functions/create_comment_once on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.create_comment_once(bigint, bigint, text, bytea, text)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
