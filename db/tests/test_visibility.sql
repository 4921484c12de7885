-- Revision 1.2's visibility on the reads reworked for it: api.get_post, api.list_comments,
-- api.update_post and api.user_feed on each of its paths (timeline, read-time query, pulled
-- author, queued post), with likes_count and liked.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(26);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
CREATE FUNCTION pg_temp.feed(p_user text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e->>'title' ORDER BY n), ARRAY[]::text[])
      FROM json_array_elements(api.user_feed(pg_temp.uid(p_user), 20, 0, 'desc', NULL, NULL, NULL, NULL))
           WITH ORDINALITY AS t(e, n)
$$;
CREATE FUNCTION pg_temp.comments(p_viewer text, p_title text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e->>'content' ORDER BY n), ARRAY[]::text[])
      FROM json_array_elements(api.list_comments(pg_temp.pid(p_title), pg_temp.uid(p_viewer), 20, 0))
           WITH ORDINALITY AS t(e, n)
$$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('vi_ann', 'vi_ann@example.com', 'h', true),
       ('vi_ben', 'vi_ben@example.com', 'h', true),
       ('vi_cat', 'vi_cat@example.com', 'h', true),
       ('vi_dan', 'vi_dan@example.com', 'h', true);
SELECT api.follow_user(pg_temp.uid('vi_ann'), pg_temp.uid(u)) FROM unnest(ARRAY['vi_ben', 'vi_cat', 'vi_dan']) u;
SELECT api.create_post(pg_temp.uid('vi_ben'), 'vi ben post', 'c', NULL);
SELECT api.create_post(pg_temp.uid('vi_cat'), 'vi cat post', 'c', NULL);
SELECT api.create_comment(pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben'), 'by ben');
SELECT api.create_comment(pg_temp.pid('vi cat post'), pg_temp.uid('vi_dan'), 'by dan');

-- likes in the post's shape
SELECT api.like_post(pg_temp.uid('vi_ann'), pg_temp.pid('vi cat post'));
SELECT api.like_post(pg_temp.uid('vi_dan'), pg_temp.pid('vi cat post'));
SELECT is((api.get_post(pg_temp.pid('vi cat post'), pg_temp.uid('vi_ann'))->>'likes_count')::int, 2, 'likes_count');
SELECT is((api.get_post(pg_temp.pid('vi cat post'), pg_temp.uid('vi_ann'))->>'liked')::boolean, true, 'liked by the viewer');
SELECT is((api.get_post(pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben'))->>'liked')::boolean, false, 'not liked by another');
SELECT is((SELECT (e->>'liked')::boolean FROM json_array_elements(
               api.user_feed(pg_temp.uid('vi_ann'), 20, 0, 'desc', NULL, NULL, NULL, NULL)) e
            WHERE e->>'title' = 'vi cat post'), true, 'liked in the feed too');

-- a mute: the feed and the comment lists of the muter, on every path
SELECT api.mute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_ben'));
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi cat post'], 'a muted author''s posts leave the feed (timeline)');
UPDATE social.feed_settings SET serve_from_timeline = false;
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi cat post'], '... and the read-time query');
UPDATE social.feed_settings SET serve_from_timeline = true;
SELECT is(pg_temp.comments('vi_ann', 'vi cat post'), ARRAY['by dan'], 'a muted user''s comments leave the muter''s list');
SELECT is(pg_temp.comments('vi_cat', 'vi cat post'), ARRAY['by ben', 'by dan'], 'others still see them');
SELECT is((api.get_post(pg_temp.pid('vi cat post'), pg_temp.uid('vi_ann'))->>'comments_count')::int, 2,
          'comments_count counts every comment');
SELECT is((api.get_post(pg_temp.pid('vi ben post'), pg_temp.uid('vi_ann'))->>'title'), 'vi ben post',
          'a mute hides nothing else: the muted user''s post itself answers');
SELECT api.unmute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_ben'));
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi cat post', 'vi ben post'], 'unmuted: the posts are back');

-- a muted pulled author and a muted author's queued post
UPDATE social.feed_settings SET fanout_limit = 0;
SELECT api.create_post(pg_temp.uid('vi_dan'), 'vi dan pulled', 'c', NULL);
SELECT ok(EXISTS (SELECT FROM social.pulled_authors WHERE author_id = pg_temp.uid('vi_dan')), 'dan is pulled');
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi dan pulled', 'vi cat post', 'vi ben post'], 'a pulled author''s post');
SELECT api.mute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_dan'));
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi cat post', 'vi ben post'], 'a muted pulled author''s post leaves the feed');
UPDATE social.feed_settings SET fanout_limit = 10000, fanout_inline_limit = 0;
SELECT api.mute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_cat'));
SELECT api.create_post(pg_temp.uid('vi_cat'), 'vi cat queued', 'c', NULL);
SELECT ok(EXISTS (SELECT FROM social.fanout_queue WHERE post_id = pg_temp.pid('vi cat queued')), 'the post is queued');
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi ben post'], 'a muted author''s queued post stays out');
SELECT api.unmute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_cat'));
SELECT is(pg_temp.feed('vi_ann'), ARRAY['vi cat queued', 'vi cat post', 'vi ben post'], '... and comes with the unmute');
SELECT api.unmute_user(pg_temp.uid('vi_ann'), pg_temp.uid('vi_dan'));

-- a block: the post, its comments, its edit, and comments across it
SELECT api.block_user(pg_temp.uid('vi_cat'), pg_temp.uid('vi_ben'));
SELECT throws_ok(format('SELECT api.get_post(%s, %s)', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben')),
                 'SN404', 'post not found', 'the blocked user cannot read the blocker''s post');
SELECT throws_ok(format('SELECT api.get_post(%s, %s)', pg_temp.pid('vi ben post'), pg_temp.uid('vi_cat')),
                 'SN404', 'post not found', 'nor the blocker the blocked user''s');
SELECT throws_ok(format('SELECT api.list_comments(%s, %s, 20, 0)', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben')),
                 'SN404', 'post not found', 'nor its comments');
SELECT is(pg_temp.comments('vi_cat', 'vi cat post'), ARRAY['by dan'], 'the blocked user''s comment leaves the blocker''s list');
SELECT is(pg_temp.comments('vi_ann', 'vi cat post'), ARRAY['by ben', 'by dan'], 'a third user still sees both');
SELECT api.set_user_role(pg_temp.uid('vi_ben'), 'moderator', NULL);
SELECT throws_ok(format('SELECT api.update_post(%s, %s, 1, ''x'', NULL, NULL)', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben')),
                 'SN404', 'post not found', 'a moderator cannot edit across a block');

SELECT throws_ok(format('SELECT api.create_comment(%s, %s, ''x'')', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben')),
                 'SN404', 'post not found', 'no comment across a block');
SELECT lives_ok(format('SELECT api.create_comment(%s, %s, ''x'')', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ann')),
                'a third user still comments');

SELECT throws_ok(format('SELECT api.delete_post(%s, %s)', pg_temp.pid('vi cat post'), pg_temp.uid('vi_ben')),
                 'SN404', 'post not found', 'a delete across a block is 404, not 403');

SELECT * FROM finish();
ROLLBACK;
