-- Revert gosocial:triggers/timeline_after_post_delete from pg

BEGIN;

DROP TRIGGER timeline_after_post_delete ON social.posts;
DROP FUNCTION social.timeline_after_post_delete();

COMMIT;
