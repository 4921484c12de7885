-- Revert gosocial:schema/idempotency_keys from pg

BEGIN;

DROP FUNCTION social.idempotent_replay(bigint, text, bytea);
DROP FUNCTION social.idempotency_ttl();
DROP TABLE social.idempotency_keys;

COMMIT;
