-- Revert gosocial:functions/purge_idempotency_keys from pg

BEGIN;

DROP FUNCTION api.purge_idempotency_keys();

COMMIT;
