-- Verify gosocial:schema/timeline on pg

BEGIN;

SELECT owner_id, created_at, post_id FROM social.timeline WHERE false;
SELECT 'social.timeline_post_idx'::regclass;

ROLLBACK;
