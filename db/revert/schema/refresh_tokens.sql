-- Revert gosocial:schema/refresh_tokens from pg

BEGIN;

DROP TABLE social.refresh_tokens;

COMMIT;
