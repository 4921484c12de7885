-- Verify gosocial:schema/idempotency_keys on pg

BEGIN;

SELECT user_id, key, request_hash, status, body, created_at FROM social.idempotency_keys WHERE false;
SELECT 'social.idempotency_ttl()'::regprocedure;
SELECT 'social.idempotent_replay(bigint, text, bytea)'::regprocedure;

ROLLBACK;
