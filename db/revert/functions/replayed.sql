-- Revert gosocial:functions/replayed from pg

BEGIN;

DROP FUNCTION api.replayed(pg_lsn, integer);

COMMIT;
