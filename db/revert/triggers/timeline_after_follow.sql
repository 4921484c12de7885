-- Revert gosocial:triggers/timeline_after_follow from pg

BEGIN;

DROP TRIGGER timeline_after_follow ON social.followers;
DROP FUNCTION social.timeline_after_follow();

COMMIT;
