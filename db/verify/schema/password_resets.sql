-- Verify gosocial:schema/password_resets on pg

BEGIN;

SELECT user_id, token_hash, expires_at FROM social.password_resets WHERE false;

ROLLBACK;
