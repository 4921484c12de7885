-- Verify gosocial:schema/fanout_queue on pg

BEGIN;

SELECT created_at, post_id, author_id FROM social.fanout_queue WHERE false;
SELECT 'social.fanout_queue_post_idx'::regclass;

ROLLBACK;
