-- Verify gosocial:schema/likes on pg

BEGIN;

SELECT post_id, user_id, created_at FROM social.likes WHERE false;

ROLLBACK;
