-- Verify gosocial:schema/followers on pg

BEGIN;

SELECT user_id, follower_id, created_at FROM social.followers WHERE false;

SELECT 'social.followers_follower_idx'::regclass;

ROLLBACK;
