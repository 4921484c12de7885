-- Revert gosocial:triggers/timeline_after_user_delete from pg

BEGIN;

DROP TRIGGER timeline_after_user_delete ON social.users;
DROP FUNCTION social.timeline_after_user_delete();

COMMIT;
