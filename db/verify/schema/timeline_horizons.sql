-- Verify gosocial:schema/timeline_horizons on pg

BEGIN;

SELECT owner_id, created_at, post_id FROM social.timeline_horizons WHERE false;

ROLLBACK;
