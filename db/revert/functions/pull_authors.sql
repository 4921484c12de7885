-- Revert gosocial:functions/pull_authors from pg

BEGIN;

DROP FUNCTION social.pull_authors(bigint[]);

COMMIT;
