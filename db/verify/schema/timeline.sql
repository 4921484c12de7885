-- Verify gosocial:schema/timeline on pg

BEGIN;

SELECT owner_id, created_at, post_id FROM social.timeline WHERE false;
SELECT owner_id, created_at, post_id FROM social.timeline_horizons WHERE false;
SELECT follower_id, author_id FROM social.pulled_follows WHERE false;
SELECT created_at, post_id, author_id FROM social.fanout_queue WHERE false;
SELECT fanout_inline_limit, serve_from_timeline FROM social.feed_settings WHERE false;
SELECT 1 / count(*) FROM social.feed_settings;
SELECT 'social.rebuild_timelines()'::regprocedure;
SELECT 1 / (count(*) = 6)::int
  FROM pg_catalog.pg_trigger
 WHERE tgname IN ('timeline_after_post_insert', 'timeline_after_post_moved', 'timeline_after_follow',
                  'timeline_after_unfollow', 'timeline_after_post_delete', 'timeline_after_user_delete')
   AND tgenabled = 'O';

ROLLBACK;
