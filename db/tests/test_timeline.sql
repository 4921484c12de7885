-- The materialized timeline: fan-out on post, hybrid pull past fanout_limit, trim to
-- timeline_size with a horizon, backfill on follow, removal on unfollow, deletes, rebuild, the
-- fan-out queue past fanout_inline_limit, serve_from_timeline; api.user_feed's cursor arguments.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.entries(p_owner text) RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(array_agg(p.title ORDER BY t.created_at DESC, t.post_id DESC), '{}')
     FROM social.timeline t JOIN social.posts p ON p.id = t.post_id
    WHERE t.owner_id = pg_temp.uid(p_owner) $$;
CREATE FUNCTION pg_temp.has_entry(p_owner text, p_title text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT p_title = ANY (pg_temp.entries(p_owner)) $$;
CREATE FUNCTION pg_temp.post(p_author text, p_title text, p_minute int) RETURNS bigint LANGUAGE sql AS
$$ INSERT INTO social.posts (user_id, title, content, created_at)
   VALUES (pg_temp.uid(p_author), p_title, 'c', '2026-01-01'::timestamptz + p_minute * interval '1 minute')
   RETURNING id $$;

UPDATE social.feed_settings SET timeline_size = 3, fanout_limit = 2, trim_every = 1;
INSERT INTO social.users (username, email, password_hash, is_active)
SELECT 'tl_' || n, 'tl_' || n || '@example.com', 'h', true
  FROM unnest(ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'star']) n;
INSERT INTO social.followers (user_id, follower_id)
VALUES (pg_temp.uid('tl_bob'), pg_temp.uid('tl_ann'));

-- fan-out: the author and each follower
SELECT pg_temp.post('tl_bob', 'b1', 1);
SELECT is(pg_temp.entries('tl_bob'), ARRAY['b1'], 'a post enters its author''s timeline');
SELECT is(pg_temp.entries('tl_ann'), ARRAY['b1'], 'and each follower''s');
SELECT is(pg_temp.entries('tl_cat'), '{}'::text[], 'and nobody else''s');

-- trim to timeline_size, horizon at the first entry let go
SELECT pg_temp.post('tl_bob', 'b' || n, n) FROM generate_series(2, 5) n;
SELECT is(pg_temp.entries('tl_ann'), ARRAY['b5', 'b4', 'b3'], 'trimmed to the newest timeline_size entries');
SELECT is((SELECT p.title FROM social.timeline_horizons h JOIN social.posts p ON p.id = h.post_id
            WHERE h.owner_id = pg_temp.uid('tl_ann')), 'b2', 'the horizon is the newest entry let go');

-- backfill on follow: the followed user's posts above the horizon, then trimmed
SELECT pg_temp.post('tl_cat', 'c' || n, n * 10) FROM generate_series(0, 4) n;
INSERT INTO social.followers (user_id, follower_id) VALUES (pg_temp.uid('tl_cat'), pg_temp.uid('tl_ann'));
SELECT is(pg_temp.entries('tl_ann'), ARRAY['c4', 'c3', 'c2'], 'a follow backfills the newest posts and trims');
SELECT is((SELECT p.title FROM social.timeline_horizons h JOIN social.posts p ON p.id = h.post_id
            WHERE h.owner_id = pg_temp.uid('tl_ann')), 'c1', 'the horizon rises past what was left out');
SELECT is((SELECT count(*)::int FROM social.timeline t JOIN social.posts p ON p.id = t.post_id
            WHERE t.owner_id = pg_temp.uid('tl_ann') AND p.title = 'c0'), 0, 'posts below the horizon are not backfilled');

-- unfollow removes, delete cascades
DELETE FROM social.followers WHERE user_id = pg_temp.uid('tl_cat') AND follower_id = pg_temp.uid('tl_ann');
SELECT is(pg_temp.entries('tl_ann'), '{}'::text[], 'an unfollow removes the user''s posts from the timeline');
INSERT INTO social.followers (user_id, follower_id) VALUES (pg_temp.uid('tl_cat'), pg_temp.uid('tl_ann'));
SELECT api.delete_post((SELECT id FROM social.posts WHERE title = 'c4'), pg_temp.uid('tl_cat'));
SELECT is(pg_temp.entries('tl_ann'), ARRAY['c3', 'c2'], 'a deleted post leaves every timeline');
SELECT is(pg_temp.entries('tl_cat'), ARRAY['c3', 'c2'], 'its author''s included (c1 was trimmed)');

-- the feed reads the timeline where it can and stays exact below the horizon
SELECT is(api.user_feed(pg_temp.uid('tl_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL)::text,
          social.feed_read_time(pg_temp.uid('tl_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL, NULL, NULL)::text,
          'a page past the timeline equals the read-time page');
SELECT ok(social.feed_timeline(pg_temp.uid('tl_ann'), 1, 0, 'desc', NULL, NULL, NULL, NULL) IS NOT NULL,
          'the first page comes from the timeline');
SELECT ok(social.feed_timeline(pg_temp.uid('tl_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL) IS NULL,
          'a page reaching below the horizon does not');

-- a post moved in time (by a DBA) is placed again, even from below the horizon
UPDATE social.posts SET created_at = '2026-01-01'::timestamptz + interval '50 minutes' WHERE title = 'c1';
SELECT is(pg_temp.entries('tl_ann'), ARRAY['c1', 'c3', 'c2'], 'a post moved above the horizon enters the timeline');
SELECT is(api.user_feed(pg_temp.uid('tl_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL)::text,
          social.feed_read_time(pg_temp.uid('tl_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL, NULL, NULL)::text,
          'and the feed stays equal to the read-time feed');

-- hybrid: an author past fanout_limit followers is pulled, not fanned out
INSERT INTO social.followers (user_id, follower_id)
SELECT pg_temp.uid('tl_star'), pg_temp.uid(n) FROM unnest(ARRAY['tl_ann', 'tl_bob', 'tl_cat']) n;
SELECT pg_temp.post('tl_star', 's1', 100);
SELECT ok(EXISTS (SELECT FROM social.pulled_authors WHERE author_id = pg_temp.uid('tl_star')),
          'posting with more than fanout_limit followers makes the author pulled');
SELECT is((SELECT count(*)::int FROM social.timeline t JOIN social.posts p ON p.id = t.post_id WHERE p.title = 's1'), 1,
          'a pulled author''s post enters only its own timeline');
SELECT is((SELECT count(*)::int FROM social.pulled_follows WHERE author_id = pg_temp.uid('tl_star')), 3,
          'its followers read it at read time');
SELECT is(api.user_feed(pg_temp.uid('tl_bob'), 1, 0, 'desc', NULL, NULL, NULL, NULL)->0->>'title', 's1',
          'the pulled post is merged into the follower''s page');
INSERT INTO social.followers (user_id, follower_id) VALUES (pg_temp.uid('tl_star'), pg_temp.uid('tl_dan'));
SELECT is((SELECT count(*)::int FROM social.pulled_follows WHERE follower_id = pg_temp.uid('tl_dan')), 1,
          'a new follower of a pulled author reads it at read time');

-- past fanout_inline_limit followers a post is queued, merged at read time until it is copied
UPDATE social.feed_settings SET fanout_inline_limit = 1;
INSERT INTO social.followers (user_id, follower_id)
VALUES (pg_temp.uid('tl_eve'), pg_temp.uid('tl_ann')), (pg_temp.uid('tl_eve'), pg_temp.uid('tl_dan'));
SELECT pg_temp.post('tl_eve', 'e1', 200);
SELECT ok(NOT pg_temp.has_entry('tl_dan', 'e1') AND NOT pg_temp.has_entry('tl_ann', 'e1'),
          'a post of an author past fanout_inline_limit followers is not copied in its transaction');
SELECT ok(pg_temp.has_entry('tl_eve', 'e1'), 'but enters its author''s own timeline at once');
SELECT is(api.user_feed(pg_temp.uid('tl_dan'), 1, 0, 'desc', NULL, NULL, NULL, NULL)->0->>'title', 'e1',
          'a queued post is merged into its followers'' pages');
SELECT is(api.fan_out_queued(), 1, 'fan_out_queued takes the queued post');
SELECT ok(pg_temp.has_entry('tl_dan', 'e1') AND pg_temp.has_entry('tl_ann', 'e1')
          AND NOT EXISTS (SELECT FROM social.fanout_queue),
          'copies it into each follower''s timeline and empties the queue');
SELECT is(api.fan_out_queued(), 0, 'with nothing queued it takes nothing');
SELECT pg_temp.post('tl_eve', 'e2', 201);
SELECT api.delete_post((SELECT id FROM social.posts WHERE title = 'e2'), pg_temp.uid('tl_eve'));
SELECT ok(NOT EXISTS (SELECT FROM social.fanout_queue) AND NOT pg_temp.has_entry('tl_eve', 'e2'),
          'a queued post deleted leaves the queue and its author''s timeline');
SELECT throws_ok('SELECT api.fan_out_queued(0)', 'SN400', 'limit must be positive', 'fan_out_queued(0) -> SN400');
UPDATE social.feed_settings SET fanout_inline_limit = 100;

-- a rebuild keeps everything the triggers kept (and refills what deletes and unfollows freed)
CREATE TEMP VIEW tl_timeline AS
    SELECT t.* FROM social.timeline t JOIN social.users u ON u.id = t.owner_id WHERE u.username LIKE 'tl\_%';
CREATE TEMP TABLE before_rebuild AS SELECT * FROM tl_timeline;
SELECT social.rebuild_timelines();
SELECT is((SELECT count(*)::int FROM (SELECT * FROM before_rebuild EXCEPT SELECT * FROM tl_timeline) x), 0,
          'a rebuild keeps every entry the triggers kept');

-- serve_from_timeline off: pages come from the read-time query (here, a damaged timeline)
DELETE FROM social.timeline WHERE owner_id = pg_temp.uid('tl_dan');
SELECT isnt(api.user_feed(pg_temp.uid('tl_dan'), 20, 0, 'desc', NULL, NULL, NULL, NULL)::text,
            social.feed_read_time(pg_temp.uid('tl_dan'), 20, 0, 'desc', NULL, NULL, NULL, NULL, NULL, NULL)::text,
            'a damaged timeline shows in the feed');
UPDATE social.feed_settings SET serve_from_timeline = false;
SELECT is(api.user_feed(pg_temp.uid('tl_dan'), 20, 0, 'desc', NULL, NULL, NULL, NULL)::text,
          social.feed_read_time(pg_temp.uid('tl_dan'), 20, 0, 'desc', NULL, NULL, NULL, NULL, NULL, NULL)::text,
          'unless serve_from_timeline is off');
UPDATE social.feed_settings SET serve_from_timeline = true;

-- user deletion: their posts and their own timeline go
CREATE TEMP TABLE cat AS SELECT pg_temp.uid('tl_cat') AS id;
SELECT api.delete_user(pg_temp.uid('tl_cat'));
SELECT is((SELECT count(*)::int FROM social.timeline t
            WHERE NOT EXISTS (SELECT FROM social.posts p WHERE p.id = t.post_id)), 0,
          'a deleted user''s posts leave every timeline');
SELECT is((SELECT count(*)::int FROM social.timeline WHERE owner_id = (SELECT id FROM cat)), 0,
          'and their own timeline goes');

-- cursor arguments
SELECT throws_ok(format('SELECT api.user_feed(%s, 20, 0, %L, NULL, NULL, NULL, NULL, now(), NULL)', pg_temp.uid('tl_ann'), 'desc'),
                 'SN400', 'a cursor needs both its time and its id', 'half a cursor -> SN400');
SELECT throws_ok(format('SELECT api.user_feed(%s, 20, 5, %L, NULL, NULL, NULL, NULL, now(), 1)', pg_temp.uid('tl_ann'), 'desc'),
                 'SN400', 'a cursor cannot be combined with an offset', 'cursor and offset -> SN400');
SELECT is(api.user_feed(pg_temp.uid('tl_bob'), 2, 0, 'desc', NULL, NULL, NULL, NULL,
                        (SELECT created_at FROM social.posts WHERE title = 'b4'),
                        (SELECT id FROM social.posts WHERE title = 'b4'))::jsonb -> 0 ->> 'title', 'b3',
          'a cursor starts the page after its post');

SELECT * FROM finish();
ROLLBACK;
