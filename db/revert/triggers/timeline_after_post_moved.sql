-- Revert gosocial:triggers/timeline_after_post_moved from pg

BEGIN;

DROP TRIGGER timeline_after_post_moved ON social.posts;
DROP FUNCTION social.timeline_after_post_moved();

COMMIT;
