-- Verify gosocial:schema/refresh_tokens on pg

BEGIN;

SELECT token_hash, user_id, family_id, created_at, expires_at, used_at, revoked_at
  FROM social.refresh_tokens WHERE false;

ROLLBACK;
