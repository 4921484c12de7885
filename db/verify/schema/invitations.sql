-- Verify gosocial:schema/invitations on pg

BEGIN;

SELECT token_hash, user_id, expires_at FROM social.invitations WHERE false;

ROLLBACK;
