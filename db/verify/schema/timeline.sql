-- Verify gosocial:schema/timeline on pg

BEGIN;

SELECT owner_id, created_at, post_id FROM social.timeline WHERE false;
SELECT owner_id, created_at, post_id FROM social.timeline_horizons WHERE false;
SELECT follower_id, author_id FROM social.pulled_follows WHERE false;
SELECT 1 / count(*) FROM social.feed_settings;
SELECT 'social.rebuild_timelines()'::regprocedure;
SELECT 1 / (count(*) = 4)::int
  FROM pg_catalog.pg_trigger
 WHERE tgname IN ('timeline_after_post_insert', 'timeline_after_post_moved', 'timeline_after_follow',
                  'timeline_after_unfollow')
   AND tgenabled = 'O';

ROLLBACK;
