-- Verify gosocial:functions/pull_authors on pg

BEGIN;

SELECT 'social.pull_authors(bigint[])'::regprocedure;

ROLLBACK;
