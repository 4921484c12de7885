-- Verify gosocial:schema/comments on pg

BEGIN;

SELECT id, post_id, user_id, content, created_at FROM social.comments WHERE false;

SELECT 'social.comments_post_created_idx'::regclass;

ROLLBACK;
