-- api.create_comment: comment json with author; SN404 'post not found'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(13);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('cc_alice', 'cc_alice@example.com', 'h', true), ('cc_bob', 'cc_bob@example.com', 'h', true);
INSERT INTO social.posts (user_id, title, content) VALUES (pg_temp.uid('cc_alice'), 'cc post', 'c');

CREATE TEMP TABLE res AS SELECT api.create_comment(pg_temp.pid('cc post'), pg_temp.uid('cc_bob'), 'Nice post!') AS j;

SELECT is(ARRAY(SELECT json_object_keys(j) FROM res),
          ARRAY['id', 'post_id', 'user_id', 'content', 'created_at', 'user'], 'comment json keys in spec order');
SELECT is(ARRAY(SELECT json_object_keys(j->'user') FROM res), ARRAY['id', 'username'], 'comment.user keys');
SELECT is((SELECT (j->>'post_id')::bigint FROM res), pg_temp.pid('cc post'), 'post_id');
SELECT is((SELECT (j->>'user_id')::bigint FROM res), pg_temp.uid('cc_bob'), 'user_id is the commenter');
SELECT is((SELECT j->>'content' FROM res), 'Nice post!', 'content');
SELECT is((SELECT (j->>'created_at')::timestamptz FROM res), now(), 'created_at is now()');
SELECT is((SELECT (j->'user')::jsonb FROM res), jsonb_build_object('id', pg_temp.uid('cc_bob'), 'username', 'cc_bob'),
          'user is the commenter, not the post author');
SELECT results_eq(
    $$SELECT c.post_id, c.user_id, c.content FROM social.comments c JOIN res ON c.id = (res.j->>'id')::bigint$$,
    $$SELECT pg_temp.pid('cc post'), pg_temp.uid('cc_bob'), 'Nice post!'::text$$,
    'row stored with the returned id');
SELECT is((api.get_post(pg_temp.pid('cc post'), 0)->'comments_count')::text, '1', 'comments_count of the post is 1');
SELECT lives_ok($$SELECT api.create_comment(pg_temp.pid('cc post'), pg_temp.uid('cc_alice'), 'Thanks')$$,
                'the author comments its own post');
SELECT is((api.get_post(pg_temp.pid('cc post'), 0)->'comments_count')::text, '2', 'comments_count is 2');

SELECT throws_ok($$SELECT api.create_comment(-1, pg_temp.uid('cc_bob'), 'lost')$$,
                 'SN404', 'post not found', 'comment on a missing post -> SN404');
SELECT is((SELECT count(*)::int FROM social.comments WHERE content = 'lost'), 0, 'nothing stored');

SELECT * FROM finish();
ROLLBACK;
