-- Revert gosocial:triggers/timeline_after_post_insert from pg

BEGIN;

DROP TRIGGER timeline_after_post_insert ON social.posts;
DROP FUNCTION social.timeline_after_post_insert();

COMMIT;
