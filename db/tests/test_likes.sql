-- api.like_post / unlike_post / list_likes.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(12);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('lk_ann', 'lk_ann@example.com', 'h', true),
       ('lk_ben', 'lk_ben@example.com', 'h', true),
       ('lk_cat', 'lk_cat@example.com', 'h', true);
INSERT INTO social.posts (user_id, title, content) VALUES (pg_temp.uid('lk_ann'), 'lk post', 'c');
CREATE TEMP TABLE lk AS SELECT id FROM social.posts WHERE title = 'lk post';
CREATE FUNCTION pg_temp.likers(p_viewer text) RETURNS text LANGUAGE sql AS
$$ SELECT (api.list_likes(pg_temp.uid(p_viewer), (SELECT id FROM lk), 20)->'page')::text $$;

SELECT lives_ok(format('SELECT api.like_post(%s, %s)', pg_temp.uid('lk_ben'), (SELECT id FROM lk)), 'ben likes');
UPDATE social.likes SET created_at = now() - interval '1 minute' WHERE user_id = pg_temp.uid('lk_ben');
SELECT lives_ok(format('SELECT api.like_post(%s, %s)', pg_temp.uid('lk_cat'), (SELECT id FROM lk)), 'cat likes');
SELECT lives_ok(format('SELECT api.like_post(%s, %s)', pg_temp.uid('lk_ben'), (SELECT id FROM lk)),
                'liking again is no error');
SELECT is(pg_temp.likers('lk_ann'),
          format('[{"id":%s,"username":"lk_cat"},{"id":%s,"username":"lk_ben"}]',
                 pg_temp.uid('lk_cat'), pg_temp.uid('lk_ben')),
          'newest like first, and liking again did not move ben');
SELECT throws_ok(format('SELECT api.like_post(%s, -1)', pg_temp.uid('lk_ben')),
                 'SN404', 'post not found', 'liking a missing post -> SN404');

-- across a block
SELECT api.block_user(pg_temp.uid('lk_cat'), pg_temp.uid('lk_ben'));
SELECT is(pg_temp.likers('lk_ben'), format('[{"id":%s,"username":"lk_ben"}]', pg_temp.uid('lk_ben')),
          'a liker the viewer is separated from is left out');
SELECT is(pg_temp.likers('lk_ann'),
          format('[{"id":%s,"username":"lk_cat"},{"id":%s,"username":"lk_ben"}]',
                 pg_temp.uid('lk_cat'), pg_temp.uid('lk_ben')),
          'others still see both');
SELECT api.block_user(pg_temp.uid('lk_ann'), pg_temp.uid('lk_cat'));
SELECT throws_ok(format('SELECT api.like_post(%s, %s)', pg_temp.uid('lk_cat'), (SELECT id FROM lk)),
                 'SN404', 'post not found', 'liking across a block -> SN404');
SELECT throws_ok(format('SELECT api.list_likes(%s, %s, 20)', pg_temp.uid('lk_cat'), (SELECT id FROM lk)),
                 'SN404', 'post not found', 'the like list across a block -> SN404');
SELECT throws_ok(format('SELECT api.unlike_post(%s, %s)', pg_temp.uid('lk_cat'), (SELECT id FROM lk)),
                 'SN404', 'post not found', 'unliking across a block -> SN404');

SELECT lives_ok(format('SELECT api.unlike_post(%s, %s); SELECT api.unlike_post(%s, %s)',
                       pg_temp.uid('lk_ben'), (SELECT id FROM lk), pg_temp.uid('lk_ben'), (SELECT id FROM lk)),
                'unliking twice is no error');
SELECT is((SELECT count(*)::int FROM social.likes WHERE post_id = (SELECT id FROM lk)), 1, 'one like left');

SELECT * FROM finish();
ROLLBACK;
