-- Revert gosocial:schema/timeline from pg

BEGIN;

DROP TRIGGER timeline_after_unfollow ON social.followers;
DROP TRIGGER timeline_after_follow ON social.followers;
DROP TRIGGER timeline_after_post_moved ON social.posts;
DROP TRIGGER timeline_after_post_insert ON social.posts;
DROP TRIGGER timeline_after_post_delete ON social.posts;
DROP TRIGGER timeline_after_user_delete ON social.users;
DROP FUNCTION social.rebuild_timelines();
DROP FUNCTION social.timeline_after_unfollow();
DROP FUNCTION social.timeline_after_follow();
DROP FUNCTION social.timeline_after_post_moved();
DROP FUNCTION social.timeline_after_post_insert();
DROP FUNCTION social.timeline_after_post_delete();
DROP FUNCTION social.timeline_after_user_delete();
DROP FUNCTION social.pull_authors(bigint[]);
DROP FUNCTION social.fan_out(bigint[], boolean);
DROP FUNCTION social.trim_timelines(bigint[]);
DROP FUNCTION social.lock_authors(bigint[], boolean);
DROP TABLE social.fanout_queue, social.pulled_follows, social.pulled_authors, social.timeline_horizons,
           social.timeline, social.feed_settings;

COMMIT;
