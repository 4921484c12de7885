-- Verify gosocial:functions/lock_authors on pg

BEGIN;

SELECT 'social.lock_authors(bigint[], boolean)'::regprocedure;

ROLLBACK;
