-- Revert gosocial:functions/rebuild_timelines from pg

BEGIN;

DROP FUNCTION social.rebuild_timelines();

COMMIT;
