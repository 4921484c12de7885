-- Revert gosocial:functions/lock_authors from pg

BEGIN;

DROP FUNCTION social.lock_authors(bigint[], boolean);

COMMIT;
