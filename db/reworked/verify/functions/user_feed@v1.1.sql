-- Verify gosocial:functions/user_feed on pg

BEGIN;

SELECT 'api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint)'::regprocedure;
SELECT 'social.feed_read_time(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint)'::regprocedure;
SELECT 'social.feed_timeline(bigint, integer, integer, text, timestamptz, timestamptz, timestamptz, bigint)'::regprocedure;

-- Definer rights, callable by the application role, not by PUBLIC.
SELECT 1 / count(*)
  FROM pg_catalog.pg_proc
 WHERE oid = 'api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint)'::regprocedure
   AND prosecdef
   AND has_function_privilege('gosocial_app', oid, 'EXECUTE')
   AND NOT has_function_privilege('public', oid, 'EXECUTE');

ROLLBACK;
