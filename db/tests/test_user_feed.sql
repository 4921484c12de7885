-- api.user_feed: own and followed users' posts only; sort; tags all-of; literal case-insensitive
-- search; inclusive since/until; limit/offset bounds; [] when empty.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(55);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
-- titles of a feed, in feed order
CREATE FUNCTION pg_temp.titles(p json) RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(array_agg(e->>'title' ORDER BY n), ARRAY[]::text[]) FROM json_array_elements(p) WITH ORDINALITY AS t(e, n) $$;
CREATE FUNCTION pg_temp.feed(p_user text, p_limit int DEFAULT 20, p_offset int DEFAULT 0, p_sort text DEFAULT 'desc',
                             p_tags text[] DEFAULT NULL, p_search text DEFAULT NULL,
                             p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL) RETURNS json
LANGUAGE sql AS
$$ SELECT api.user_feed(pg_temp.uid(p_user), p_limit, p_offset, p_sort, p_tags, p_search, p_since, p_until) $$;
CREATE FUNCTION pg_temp.ft(p_user text, p_limit int DEFAULT 20, p_offset int DEFAULT 0, p_sort text DEFAULT 'desc',
                           p_tags text[] DEFAULT NULL, p_search text DEFAULT NULL,
                           p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL) RETURNS text[]
LANGUAGE sql AS
$$ SELECT pg_temp.titles(pg_temp.feed(p_user, p_limit, p_offset, p_sort, p_tags, p_search, p_since, p_until)) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('uf_alice', 'uf_alice@example.com', 'h', true),   -- the reader
       ('uf_bob', 'uf_bob@example.com', 'h', true),       -- followed by alice
       ('uf_carol', 'uf_carol@example.com', 'h', true),   -- follows alice, not followed back
       ('uf_dave', 'uf_dave@example.com', 'h', true),     -- nobody, no posts
       ('uf_erin', 'uf_erin@example.com', 'h', true);     -- follows carol only
INSERT INTO social.followers (user_id, follower_id)
VALUES (pg_temp.uid('uf_bob'), pg_temp.uid('uf_alice')),
       (pg_temp.uid('uf_alice'), pg_temp.uid('uf_carol')),
       (pg_temp.uid('uf_carol'), pg_temp.uid('uf_erin'));

-- b2 and b3 share a timestamp: ties break by id (b3 inserted later, larger id)
INSERT INTO social.posts (user_id, title, content, tags, created_at) VALUES
  (pg_temp.uid('uf_alice'), 'A1 Alice first',   'hello world',                    ARRAY['go', 'sql'],        '2026-01-01 10:00:00+00'),
  (pg_temp.uid('uf_bob'),   'B1 Bob 100% sure', 'percent sign',                   ARRAY['go'],               '2026-01-02 10:00:00+00'),
  (pg_temp.uid('uf_carol'), 'C1 Carol secret',  'hello world needle',             ARRAY['go', 'sql'],        '2026-01-02 12:00:00+00'),
  (pg_temp.uid('uf_bob'),   'B2 under_score',   'nothing special',                ARRAY['sql', 'go', 'web'], '2026-01-03 10:00:00+00'),
  (pg_temp.uid('uf_bob'),   'B3 tie',           'Score 1000 points in many words', ARRAY['web'],             '2026-01-03 10:00:00+00'),
  (pg_temp.uid('uf_alice'), 'A2 Plain',         'Contains MiXeD Case needle at C:\temp', '{}',               '2026-01-04 10:00:00+00');
INSERT INTO social.comments (post_id, user_id, content)
SELECT id, pg_temp.uid('uf_alice'), 'comment ' || g FROM social.posts, generate_series(1, 2) g WHERE title = 'B1 Bob 100% sure';

-- membership and order
SELECT is(pg_temp.ft('uf_alice'), ARRAY['A2 Plain', 'B3 tie', 'B2 under_score', 'B1 Bob 100% sure', 'A1 Alice first'],
          'own + followed posts, newest first, ties by id desc; no post of a non-followed user');
SELECT is(pg_temp.ft('uf_alice', p_sort => 'asc'),
          ARRAY['A1 Alice first', 'B1 Bob 100% sure', 'B2 under_score', 'B3 tie', 'A2 Plain'],
          'sort asc: oldest first, ties by id asc');
SELECT is(pg_temp.ft('uf_carol'), ARRAY['A2 Plain', 'C1 Carol secret', 'A1 Alice first'],
          'carol sees her own and alice''s posts, not bob''s (follows are not transitive)');
SELECT is(pg_temp.ft('uf_bob'), ARRAY['B3 tie', 'B2 under_score', 'B1 Bob 100% sure'],
          'bob follows nobody: only his own posts (being followed gives nothing)');
SELECT is(pg_temp.ft('uf_erin'), ARRAY['C1 Carol secret'], 'erin sees only the user she follows');
SELECT ok(NOT ('C1 Carol secret' = ANY (pg_temp.ft('uf_alice', p_search => 'needle'))),
          'a non-followed user''s post stays out even when it matches the search');
SELECT is(pg_temp.feed('uf_dave')::text, '[]', 'empty feed is []');
SELECT is(json_typeof(pg_temp.feed('uf_dave')), 'array', 'empty feed is a json array, not NULL');
SELECT is(api.user_feed(-1, 20, 0, 'desc', NULL, NULL, NULL, NULL)::text, '[]', 'unknown user -> []');

-- item shape
SELECT is(ARRAY(SELECT json_object_keys(pg_temp.feed('uf_alice')->0)),
          ARRAY['id', 'user_id', 'title', 'content', 'tags', 'version', 'created_at', 'updated_at', 'comments_count', 'likes_count', 'liked', 'user'],
          'feed items are post json');
SELECT is((SELECT (e->'comments_count')::text FROM json_array_elements(pg_temp.feed('uf_alice')) e
            WHERE e->>'title' = 'B1 Bob 100% sure'), '2', 'comments_count in feed items');
SELECT is((SELECT (e->'comments_count')::text FROM json_array_elements(pg_temp.feed('uf_alice')) e
            WHERE e->>'title' = 'A1 Alice first'), '0', 'comments_count 0 in feed items');
SELECT is((SELECT (e->'user')::jsonb FROM json_array_elements(pg_temp.feed('uf_alice')) e
            WHERE e->>'title' = 'B2 under_score'),
          jsonb_build_object('id', pg_temp.uid('uf_bob'), 'username', 'uf_bob'), 'user object is the author');
SELECT is((SELECT (e->'tags')::text FROM json_array_elements(pg_temp.feed('uf_alice')) e
            WHERE e->>'title' = 'A2 Plain'), '[]', 'tags [] when none');
SELECT is((SELECT (e->'tags')::jsonb FROM json_array_elements(pg_temp.feed('uf_alice')) e
            WHERE e->>'title' = 'B2 under_score'), '["sql", "go", "web"]'::jsonb, 'tags in stored order');

-- tags: all of them
SELECT is(pg_temp.ft('uf_alice', p_tags => ARRAY['go']), ARRAY['B2 under_score', 'B1 Bob 100% sure', 'A1 Alice first'],
          'tags [go]');
SELECT is(pg_temp.ft('uf_alice', p_tags => ARRAY['go', 'sql']), ARRAY['B2 under_score', 'A1 Alice first'],
          'tags [go, sql]: posts having both');
SELECT is(pg_temp.ft('uf_alice', p_tags => ARRAY['sql', 'web']), ARRAY['B2 under_score'], 'tags [sql, web]: all of, not any of');
SELECT is(pg_temp.ft('uf_alice', p_tags => ARRAY['nope']), ARRAY[]::text[], 'unknown tag -> nothing');
SELECT is(pg_temp.feed('uf_alice', p_tags => ARRAY['nope'])::text, '[]', 'filtered to nothing -> []');
SELECT is(cardinality(pg_temp.ft('uf_alice', p_tags => ARRAY[]::text[])), 5, 'empty tags = no filter');
SELECT is(cardinality(pg_temp.ft('uf_alice', p_tags => NULL)), 5, 'NULL tags = no filter');
SELECT lives_ok($$SELECT pg_temp.feed('uf_alice', p_tags => ARRAY['a', 'b', 'c', 'd', 'e'])$$, '5 tags accepted');
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_tags => ARRAY['a', 'b', 'c', 'd', 'e', 'f'])$$,
                 'SN400', NULL, '6 tags -> SN400');

-- search: case-insensitive, title or content, % _ \ literal
SELECT is(pg_temp.ft('uf_alice', p_search => 'alice'), ARRAY['A1 Alice first'], 'search matches the title, case-insensitively');
SELECT is(pg_temp.ft('uf_alice', p_search => 'mixed case'), ARRAY['A2 Plain'], 'search matches the content, case-insensitively');
SELECT is(pg_temp.ft('uf_alice', p_search => 'SCORE'), ARRAY['B3 tie', 'B2 under_score'],
          'search hits in title or content, feed order kept');
SELECT is(pg_temp.ft('uf_alice', p_search => '100%'), ARRAY['B1 Bob 100% sure'], '% is literal (does not match "1000 points")');
SELECT is(pg_temp.ft('uf_alice', p_search => '%'), ARRAY['B1 Bob 100% sure'], 'a lone % matches only a literal %');
SELECT is(pg_temp.ft('uf_alice', p_search => 'r_s'), ARRAY['B2 under_score'], '_ is literal (does not match "words")');
SELECT is(pg_temp.ft('uf_alice', p_search => 'C:\t'), ARRAY['A2 Plain'], 'backslash is literal');
SELECT is(pg_temp.ft('uf_alice', p_search => '\'), ARRAY['A2 Plain'], 'a lone backslash matches only a literal backslash');
SELECT is(pg_temp.ft('uf_alice', p_search => 'zzz-no-such-text'), ARRAY[]::text[], 'no match -> nothing');
SELECT is(cardinality(pg_temp.ft('uf_alice', p_search => '')), 5, 'empty search = no filter');
SELECT is(cardinality(pg_temp.ft('uf_alice', p_search => NULL)), 5, 'NULL search = no filter');
SELECT lives_ok(format('SELECT pg_temp.feed(%L, p_search => %L)', 'uf_alice', repeat('x', 100)), 'search of 100 characters accepted');
SELECT throws_ok(format('SELECT pg_temp.feed(%L, p_search => %L)', 'uf_alice', repeat('x', 101)),
                 'SN400', NULL, 'search of 101 characters -> SN400');
SELECT is(pg_temp.ft('uf_alice', p_search => 'o', p_tags => ARRAY['web']), ARRAY['B3 tie', 'B2 under_score'],
          'search and tags combine');

-- since / until, inclusive
SELECT is(pg_temp.ft('uf_alice', p_since => '2026-01-03 10:00:00+00'), ARRAY['A2 Plain', 'B3 tie', 'B2 under_score'],
          'since is inclusive');
SELECT is(pg_temp.ft('uf_alice', p_until => '2026-01-02 10:00:00+00'), ARRAY['B1 Bob 100% sure', 'A1 Alice first'],
          'until is inclusive');
SELECT is(pg_temp.ft('uf_alice', p_since => '2026-01-03 10:00:00+00', p_until => '2026-01-03 10:00:00+00'),
          ARRAY['B3 tie', 'B2 under_score'], 'since = until selects exactly that instant');
SELECT is(pg_temp.ft('uf_alice', p_since => '2026-01-03 10:00:00.000001+00'), ARRAY['A2 Plain'],
          'since one microsecond later excludes the boundary');
SELECT is(pg_temp.ft('uf_alice', p_since => '2026-01-02 11:00:00+02', p_sort => 'asc'),
          ARRAY['B1 Bob 100% sure', 'B2 under_score', 'B3 tie', 'A2 Plain'], 'bounds compare instants, not local times');

-- limit / offset
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_limit => 0)$$, 'SN400', NULL, 'limit 0 -> SN400');
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_limit => 21)$$, 'SN400', NULL, 'limit 21 -> SN400');
SELECT is(pg_temp.ft('uf_alice', p_limit => 1), ARRAY['A2 Plain'], 'limit 1 accepted: newest only');
SELECT is(cardinality(pg_temp.ft('uf_alice', p_limit => 20)), 5, 'limit 20 accepted');
SELECT is(pg_temp.ft('uf_alice', p_limit => 2, p_offset => 1), ARRAY['B3 tie', 'B2 under_score'], 'limit 2 offset 1');
SELECT is(pg_temp.ft('uf_alice', p_limit => 2, p_offset => 1, p_sort => 'asc'), ARRAY['B1 Bob 100% sure', 'B2 under_score'],
          'limit 2 offset 1, ascending');
SELECT is(pg_temp.feed('uf_alice', p_offset => 5)::text, '[]', 'offset past the end -> []');
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_offset => -1)$$, 'SN400', NULL, 'offset -1 -> SN400');
SELECT is(pg_temp.feed('uf_alice', p_offset => 2147483647)::text, '[]', 'the largest offset -> [] (no integer overflow)');
SELECT is(pg_temp.feed('uf_alice', p_offset => 2147483646, p_sort => 'asc')::text, '[]',
          'offset + limit past the integer range, ascending -> []');

-- sort
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_sort => 'sideways')$$, 'SN400', NULL, 'unknown sort -> SN400');
SELECT throws_ok($$SELECT pg_temp.feed('uf_alice', p_sort => NULL)$$, 'SN400', NULL, 'NULL sort -> SN400');

SELECT * FROM finish();
ROLLBACK;
