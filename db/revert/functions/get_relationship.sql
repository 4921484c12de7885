-- Revert gosocial:functions/get_relationship from pg

BEGIN;

DROP FUNCTION api.get_relationship(bigint, bigint);

COMMIT;
