-- api.list_comments: oldest first by (created_at, id); limit 1..100, offset >= 0; SN404.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(24);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
-- the comment contents of a json array, in array order
CREATE FUNCTION pg_temp.contents(p json) RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(array_agg(e->>'content' ORDER BY n), ARRAY[]::text[]) FROM json_array_elements(p) WITH ORDINALITY AS t(e, n) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('lc_alice', 'lc_alice@example.com', 'h', true), ('lc_bob', 'lc_bob@example.com', 'h', true);
INSERT INTO social.posts (user_id, title, content)
VALUES (pg_temp.uid('lc_alice'), 'lc post', 'c'), (pg_temp.uid('lc_alice'), 'lc quiet', 'c'),
       (pg_temp.uid('lc_alice'), 'lc other', 'c');
-- inserted out of time order; c2a and c2b share a timestamp (tie broken by id: c2a first)
INSERT INTO social.comments (post_id, user_id, content, created_at)
VALUES (pg_temp.pid('lc post'), pg_temp.uid('lc_bob'), 'c3', '2026-02-03 00:00:00+00'),
       (pg_temp.pid('lc post'), pg_temp.uid('lc_alice'), 'c1', '2026-02-01 00:00:00+00'),
       (pg_temp.pid('lc post'), pg_temp.uid('lc_bob'), 'c2a', '2026-02-02 00:00:00+00'),
       (pg_temp.pid('lc post'), pg_temp.uid('lc_bob'), 'c2b', '2026-02-02 00:00:00+00'),
       (pg_temp.pid('lc other'), pg_temp.uid('lc_bob'), 'elsewhere', '2026-01-01 00:00:00+00');

SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 100, 0)), ARRAY['c1', 'c2a', 'c2b', 'c3'],
          'oldest first, ties by id, only this post''s comments');
SELECT is(ARRAY(SELECT json_object_keys(api.list_comments(pg_temp.pid('lc post'), 0, 1, 0)->0)),
          ARRAY['id', 'post_id', 'user_id', 'content', 'created_at', 'user'], 'items are comment json');
SELECT is((api.list_comments(pg_temp.pid('lc post'), 0, 1, 0)->0->'user')::jsonb,
          jsonb_build_object('id', pg_temp.uid('lc_alice'), 'username', 'lc_alice'), 'item user is the commenter');
SELECT is((api.list_comments(pg_temp.pid('lc post'), 0, 1, 0)->0->>'created_at')::timestamptz,
          '2026-02-01 00:00:00+00'::timestamptz, 'item created_at');
SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 2, 0)), ARRAY['c1', 'c2a'], 'limit 2');
SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 2, 2)), ARRAY['c2b', 'c3'], 'limit 2 offset 2');
SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 10, 3)), ARRAY['c3'], 'offset 3');
SELECT is(api.list_comments(pg_temp.pid('lc post'), 0, 10, 4)::text, '[]', 'offset past the end -> []');
SELECT is(api.list_comments(pg_temp.pid('lc quiet'), 0, 10, 0)::text, '[]', 'post without comments -> []');
SELECT is(json_typeof(api.list_comments(pg_temp.pid('lc quiet'), 0, 10, 0)), 'array', 'empty list is a json array, not NULL');

-- bounds
SELECT lives_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 1, 0)$$, 'limit 1 accepted');
SELECT lives_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 100, 0)$$, 'limit 100 accepted');
SELECT is(json_array_length(api.list_comments(pg_temp.pid('lc post'), 0, 1, 0)), 1, 'limit 1 returns one item');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 0, 0)$$, 'SN400', NULL, 'limit 0 -> SN400');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 101, 0)$$, 'SN400', NULL, 'limit 101 -> SN400');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, -1, 0)$$, 'SN400', NULL, 'negative limit -> SN400');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 10, -1)$$, 'SN400', NULL, 'offset -1 -> SN400');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, NULL, 0)$$, 'SN400', NULL, 'NULL limit -> SN400');

-- cursor: the page after a (created_at, id) position, ties included
CREATE TEMP TABLE lc_c2a AS SELECT created_at, id FROM social.comments WHERE content = 'c2a';
SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 10, 0,
                                             (SELECT created_at FROM lc_c2a), (SELECT id FROM lc_c2a))),
          ARRAY['c2b', 'c3'], 'a cursor starts after its comment, its tie included');
SELECT is(pg_temp.contents(api.list_comments(pg_temp.pid('lc post'), 0, 1, 0,
                                             (SELECT created_at FROM lc_c2a), (SELECT id FROM lc_c2a))),
          ARRAY['c2b'], 'with the limit');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 10, 0, now(), NULL)$$, 'SN400',
                 'a cursor needs both its time and its id', 'half a cursor -> SN400');
SELECT throws_ok($$SELECT api.list_comments(pg_temp.pid('lc post'), 0, 10, 2, now(), 1)$$, 'SN400',
                 'a cursor cannot be combined with an offset', 'cursor and offset -> SN400');

-- missing post
SELECT throws_ok($$SELECT api.list_comments(-1, 0, 10, 0)$$, 'SN404', NULL, 'missing post -> SN404');
SELECT throws_ok(format('SELECT api.list_comments(%s, 0, 10, 0)', (SELECT max(id) + 1000 FROM social.posts)),
                 'SN404', NULL, 'id past the last post -> SN404');

SELECT * FROM finish();
ROLLBACK;
