-- api.get_post: post with comments_count and author; SN404.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('gp_alice', 'gp_alice@example.com', 'h', true), ('gp_bob', 'gp_bob@example.com', 'h', true);
INSERT INTO social.posts (user_id, title, content, tags, version, created_at, updated_at)
VALUES (pg_temp.uid('gp_alice'), 'gp one', 'body one', ARRAY['x', 'y'], 4,
        '2026-03-01 10:00:00.5+00', '2026-03-02 11:00:00.25+00'),
       (pg_temp.uid('gp_alice'), 'gp two', 'body two', '{}', 1, now(), now());
INSERT INTO social.comments (post_id, user_id, content)
VALUES (pg_temp.pid('gp one'), pg_temp.uid('gp_bob'), 'c1'),
       (pg_temp.pid('gp one'), pg_temp.uid('gp_alice'), 'c2'),
       (pg_temp.pid('gp one'), pg_temp.uid('gp_bob'), 'c3'),
       (pg_temp.pid('gp two'), pg_temp.uid('gp_bob'), 'other post');

SELECT is(ARRAY(SELECT json_object_keys(api.get_post(pg_temp.pid('gp one'), 0))),
          ARRAY['id', 'user_id', 'title', 'content', 'tags', 'version', 'created_at', 'updated_at', 'comments_count', 'likes_count', 'liked', 'user'],
          'post json keys in spec order');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->>'id')::bigint, pg_temp.pid('gp one'), 'id');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->>'user_id')::bigint, pg_temp.uid('gp_alice'), 'user_id');
SELECT is(api.get_post(pg_temp.pid('gp one'), 0)->>'title', 'gp one', 'title');
SELECT is(api.get_post(pg_temp.pid('gp one'), 0)->>'content', 'body one', 'content');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->'tags')::jsonb, '["x", "y"]'::jsonb, 'tags');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->'version')::text, '4', 'version as stored');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->>'created_at')::timestamptz, '2026-03-01 10:00:00.5+00'::timestamptz, 'created_at');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->>'updated_at')::timestamptz, '2026-03-02 11:00:00.25+00'::timestamptz, 'updated_at');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->'comments_count')::text, '3', 'comments_count counts this post''s comments only');
SELECT is((api.get_post(pg_temp.pid('gp one'), 0)->'user')::jsonb,
          jsonb_build_object('id', pg_temp.uid('gp_alice'), 'username', 'gp_alice'), 'user: author id and username');
SELECT is((api.get_post(pg_temp.pid('gp two'), 0)->'tags')::text, '[]', 'no tags -> []');
SELECT is((api.get_post(pg_temp.pid('gp two'), 0)->'comments_count')::text, '1', 'comments_count of the other post');

SELECT throws_ok('SELECT api.get_post(-1, 0)', 'SN404', 'post not found', 'missing post -> SN404');

SELECT * FROM finish();
ROLLBACK;
