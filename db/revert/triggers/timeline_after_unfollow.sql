-- Revert gosocial:triggers/timeline_after_unfollow from pg

BEGIN;

DROP TRIGGER timeline_after_unfollow ON social.followers;
DROP FUNCTION social.timeline_after_unfollow();

COMMIT;
