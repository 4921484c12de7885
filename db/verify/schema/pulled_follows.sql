-- Verify gosocial:schema/pulled_follows on pg

BEGIN;

SELECT follower_id, author_id FROM social.pulled_follows WHERE false;
SELECT 'social.pulled_follows_author_idx'::regclass;

ROLLBACK;
