-- Deploy gosocial:data/build_timelines to pg
-- requires: functions/rebuild_timelines
-- requires: triggers/timeline_after_post_insert
-- requires: triggers/timeline_after_post_delete
-- requires: triggers/timeline_after_user_delete
-- requires: triggers/timeline_after_post_moved
-- requires: triggers/timeline_after_follow
-- requires: triggers/timeline_after_unfollow

BEGIN;

-- The timelines of the posts and follows already there. After the triggers: a write committed
-- before them is in the build, one after them is kept by them (the rebuild locks the timeline,
-- so the two never interleave).
DO $$ BEGIN PERFORM social.rebuild_timelines(); END $$;

COMMIT;
