-- api.create_post: post json, version 1, comments_count 0, tags normalised.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(27);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('cp_alice', 'cp_alice@example.com', 'h', true);

CREATE TEMP TABLE cp (name text PRIMARY KEY, j json);
INSERT INTO cp SELECT 'full', api.create_post(pg_temp.uid('cp_alice'), 'Hello', 'First post', ARRAY['go', 'sql']);
INSERT INTO cp SELECT 'notags', api.create_post(pg_temp.uid('cp_alice'), 'No tags', 'none', NULL);
INSERT INTO cp SELECT 'emptytags', api.create_post(pg_temp.uid('cp_alice'), 'Empty tags', 'none', ARRAY[]::text[]);
INSERT INTO cp SELECT 'dups', api.create_post(pg_temp.uid('cp_alice'), 'Dups', 'dups', ARRAY['b', 'a', 'b', 'c', 'a']);

-- shape
SELECT is(ARRAY(SELECT json_object_keys(j) FROM cp WHERE name = 'full'),
          ARRAY['id', 'user_id', 'title', 'content', 'tags', 'version', 'created_at', 'updated_at', 'comments_count', 'likes_count', 'liked', 'user'],
          'post json keys in spec order');
SELECT is(ARRAY(SELECT json_object_keys(j->'user') FROM cp WHERE name = 'full'), ARRAY['id', 'username'],
          'post.user keys: id, username');
SELECT is((SELECT (j->>'user_id')::bigint FROM cp WHERE name = 'full'), pg_temp.uid('cp_alice'), 'user_id is the author');
SELECT is((SELECT (j->'user')::jsonb FROM cp WHERE name = 'full'),
          jsonb_build_object('id', pg_temp.uid('cp_alice'), 'username', 'cp_alice'), 'user object: author id and username');
SELECT is((SELECT j->>'title' FROM cp WHERE name = 'full'), 'Hello', 'title');
SELECT is((SELECT j->>'content' FROM cp WHERE name = 'full'), 'First post', 'content');
SELECT is((SELECT (j->'tags')::jsonb FROM cp WHERE name = 'full'), '["go", "sql"]'::jsonb, 'tags as a json array');
SELECT is((SELECT (j->'version')::text FROM cp WHERE name = 'full'), '1', 'version is 1');
SELECT is((SELECT (j->'comments_count')::text FROM cp WHERE name = 'full'), '0', 'comments_count is 0');
SELECT is((SELECT (j->>'created_at')::timestamptz FROM cp WHERE name = 'full'), now(), 'created_at is now()');
SELECT is((SELECT (j->>'updated_at')::timestamptz FROM cp WHERE name = 'full'), now(), 'updated_at is now()');

-- stored row
SELECT results_eq(
    $$SELECT p.user_id, p.title, p.content, p.tags, p.version FROM social.posts p JOIN cp ON p.id = (cp.j->>'id')::bigint
       WHERE cp.name = 'full'$$,
    format($$VALUES (%s::bigint, 'Hello'::text, 'First post'::text, ARRAY['go', 'sql'], 1)$$, pg_temp.uid('cp_alice')),
    'row stored with the returned id');

-- tags: NULL / empty -> [], duplicates removed keeping first-occurrence order
SELECT is((SELECT (j->'tags')::text FROM cp WHERE name = 'notags'), '[]', 'NULL tags -> []');
SELECT is((SELECT p.tags FROM social.posts p JOIN cp ON p.id = (cp.j->>'id')::bigint WHERE cp.name = 'notags'),
          ARRAY[]::text[], 'NULL tags stored as {}');
SELECT is((SELECT (j->'tags')::text FROM cp WHERE name = 'emptytags'), '[]', 'empty tags -> []');
SELECT is((SELECT (j->'tags')::jsonb FROM cp WHERE name = 'dups'), '["b", "a", "c"]'::jsonb,
          'duplicate tags removed, first-occurrence order kept');
SELECT is((SELECT p.tags FROM social.posts p JOIN cp ON p.id = (cp.j->>'id')::bigint WHERE cp.name = 'dups'),
          ARRAY['b', 'a', 'c'], 'stored tags deduplicated in order');
SELECT is((api.create_post(pg_temp.uid('cp_alice'), 'Order', 'kept', ARRAY['zeta', 'alpha', 'mid'])->'tags')::jsonb,
          '["zeta", "alpha", "mid"]'::jsonb, 'tags are not sorted');
SELECT is((api.create_post(pg_temp.uid('cp_alice'), 'Case', 'kept', ARRAY['Go', 'SQL', 'go', 'GO'])->'tags')::jsonb,
          '["Go", "SQL"]'::jsonb, 'tags differing only in case are duplicates: the first spelling stays');
SELECT throws_ok(format('SELECT api.create_post(%s, %L, %L, %L)', pg_temp.uid('cp_alice'), 't', 'c',
                        (SELECT array_agg('t' || n) FROM generate_series(1, 11) n)),
                 '23514', NULL, '11 distinct tags break the table''s bound (23514)');
SELECT throws_ok(format('SELECT api.create_post(%s, %L, %L, %L)', pg_temp.uid('cp_alice'), 't', 'c',
                        ARRAY[repeat('x', 33)]),
                 '23514', NULL, 'a tag of 33 characters breaks the table''s bound (23514)');
SELECT lives_ok(format('SELECT api.create_post(%s, %L, %L, %L)', pg_temp.uid('cp_alice'), 't', 'c',
                       (SELECT array_agg(repeat('x', 31) || chr(96 + n)) FROM generate_series(1, 10) n)),
                '10 tags of 32 characters are within bounds');

-- ids increase, each call makes one row
SELECT ok((SELECT (j->>'id')::bigint FROM cp WHERE name = 'dups') > (SELECT (j->>'id')::bigint FROM cp WHERE name = 'full'),
          'later posts get larger ids');
SELECT is((SELECT count(*)::int FROM social.posts WHERE user_id = pg_temp.uid('cp_alice')), 7, 'one row per call');

-- bad input is refused by the table
SELECT throws_ok(format($$SELECT api.create_post(%s, '', 'content', NULL)$$, pg_temp.uid('cp_alice')),
                 NULL, NULL, 'empty title is refused');
SELECT throws_ok(format($$SELECT api.create_post(%s, repeat('t', 101), 'content', NULL)$$, pg_temp.uid('cp_alice')),
                 NULL, NULL, 'a 101-character title is refused');
SELECT throws_ok(format($$SELECT api.create_post(%s, 'title', repeat('c', 1001), NULL)$$, pg_temp.uid('cp_alice')),
                 NULL, NULL, 'a 1001-character content is refused');

SELECT * FROM finish();
ROLLBACK;
