-- The JSON shapes (schema/shapes) as docs/api.md's Conventions write them: compact, times in UTC
-- with exactly six fractional digits whatever the session's TimeZone, strings escaped; and every
-- api.* function that answers JSON answers it so.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
-- No whitespace outside strings: what json_build_object's `"id" : 1, ` would break.
CREATE FUNCTION pg_temp.compact(j json) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT regexp_replace(j::text, '"(\\.|[^"\\])*"', '', 'g') !~ '\s' $$;
-- Every "..._at" value of j in the contract's form, and at least one of them.
CREATE FUNCTION pg_temp.times(j json) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT count(*) > 0
           AND bool_and(m[1] ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$')
      FROM regexp_matches(j::text, '"[a-z_]*_at":"([^"]*)"', 'g') AS m
$$;

-- time_json: six digits always, UTC whatever the offset given or the session's TimeZone.
SELECT is(social.time_json('2026-11-24 10:00:00+00'), '"2026-11-24T10:00:00.000000+00:00"',
          'a whole second keeps six zero digits');
SELECT is(social.time_json('2026-11-24 10:00:20.68418+00'), '"2026-11-24T10:00:20.684180+00:00"',
          'a fraction is padded to six digits');
SELECT is(social.time_json('2026-11-24 10:00:00.000001+00'), '"2026-11-24T10:00:00.000001+00:00"',
          'a microsecond is kept');
SELECT is(social.time_json('2026-11-24 01:30:00.5+02'), '"2026-11-23T23:30:00.500000+00:00"',
          'another offset is written in UTC (across midnight)');
SET LOCAL TimeZone = 'America/St_Johns';
SELECT is(social.time_json('2026-11-24 10:00:00+00'), '"2026-11-24T10:00:00.000000+00:00"',
          'the session''s TimeZone does not matter');

INSERT INTO social.users (username, email, password_hash, is_active, role_id, created_at)
VALUES ('sh_alice', 'sh_alice@example.com', 'h', true, 2, '2026-11-24 10:00:00+00'),
       ('sh_bob', 'sh_bob@example.com', 'h', true, 1, '2026-11-24 10:00:00.25+00');
INSERT INTO social.posts (user_id, title, content, tags, version, created_at, updated_at)
VALUES (pg_temp.uid('sh_alice'), 'sh one', 'two words', ARRAY['Go', 'sql'], 3,
        '2026-11-24 10:00:00+00', '2026-11-24 10:00:00.123456+00'),
       (pg_temp.uid('sh_alice'), 'sh "quoted" \ é', E'line\nbreak\ttab\u0001', '{}', 1,
        '2026-11-24 09:00:00+00', '2026-11-24 09:00:00+00');
INSERT INTO social.comments (post_id, user_id, content, created_at)
VALUES (pg_temp.pid('sh one'), pg_temp.uid('sh_bob'), 'a comment', '2026-11-24 11:00:00+00');

-- The shapes, byte for byte.
SELECT is(api.get_user(pg_temp.uid('sh_alice'))::text,
          format('{"id":%s,"username":"sh_alice","email":"sh_alice@example.com",'
                 '"created_at":"2026-11-24T10:00:00.000000+00:00","is_active":true,'
                 '"role":{"id":2,"name":"moderator","level":2},"followers_count":0,'
                 '"following_count":0,"posts_count":%s}', pg_temp.uid('sh_alice'),
                 (SELECT count(*) FROM social.posts WHERE user_id = pg_temp.uid('sh_alice'))),
          'user_json: compact, in the contract''s key order, six digits');
SELECT is(api.get_post(pg_temp.pid('sh one'), 0)::text,
          format('{"id":%s,"user_id":%s,"title":"sh one","content":"two words","tags":["Go","sql"],'
                 '"version":3,"created_at":"2026-11-24T10:00:00.000000+00:00",'
                 '"updated_at":"2026-11-24T10:00:00.123456+00:00","comments_count":1,"likes_count":0,'
                 '"liked":false,"user":{"id":%s,"username":"sh_alice"}}',
                 pg_temp.pid('sh one'), pg_temp.uid('sh_alice'), pg_temp.uid('sh_alice')),
          'post_json: compact, in the contract''s key order, six digits');
SELECT is(api.list_comments(pg_temp.pid('sh one'), 0, 20, 0)::text,
          format('[{"id":%s,"post_id":%s,"user_id":%s,"content":"a comment",'
                 '"created_at":"2026-11-24T11:00:00.000000+00:00",'
                 '"user":{"id":%s,"username":"sh_bob"}}]',
                 (SELECT id FROM social.comments WHERE content = 'a comment'), pg_temp.pid('sh one'),
                 pg_temp.uid('sh_bob'), pg_temp.uid('sh_bob')),
          'comment_json in a list: compact');
-- Strings are escaped as JSON: they read back as stored.
SELECT is(api.get_post(pg_temp.pid(E'sh "quoted" \\ é'), 0)->>'title', E'sh "quoted" \\ é',
          'a title with quotes, a backslash and a non-ASCII letter reads back as stored');
SELECT is(api.get_post(pg_temp.pid(E'sh "quoted" \\ é'), 0)->>'content', E'line\nbreak\ttab\u0001',
          'content with a newline, a tab and a control character reads back as stored');
SELECT ok(pg_temp.compact(api.get_post(pg_temp.pid(E'sh "quoted" \\ é'), 0)),
          'escaped whitespace stays inside its string');
SELECT is((api.get_post(pg_temp.pid(E'sh "quoted" \\ é'), 0)->'tags')::text, '[]', 'no tags: []');

-- A value missing from a shape is an error, never a silently missing object.
SELECT throws_ok(
    $$SELECT social.post_json(p, NULL, u) FROM social.posts p JOIN social.users u ON u.id = p.user_id
       WHERE p.title = 'sh one'$$,
    '22P02', NULL, 'a NULL in a shape fails loudly');

-- Every api.* function answering JSON answers it compact with fixed-precision times.
CREATE TEMP TABLE answers (name text, j json);
INSERT INTO answers
VALUES ('get_user', api.get_user(pg_temp.uid('sh_bob'))),
       ('set_user_role', api.set_user_role(pg_temp.uid('sh_bob'), 'moderator')),
       ('register_user', api.register_user('sh_carol', 'sh_carol@example.com', 'h',
                                           decode(md5('sh-carol'), 'hex'), interval '1 day')),
       ('create_post', api.create_post(pg_temp.uid('sh_bob'), 'sh new', 'c', ARRAY['x'])),
       ('get_post', api.get_post(pg_temp.pid('sh one'), 0)),
       ('update_post', api.update_post(pg_temp.pid('sh one'), pg_temp.uid('sh_alice'), 3, 'sh one', NULL, NULL)),
       ('create_comment', api.create_comment(pg_temp.pid('sh one'), pg_temp.uid('sh_alice'), 'c')),
       ('list_comments', api.list_comments(pg_temp.pid('sh one'), 0, 20, 0)),
       ('user_feed', api.user_feed(pg_temp.uid('sh_alice'), 20, 0, 'desc', NULL, NULL, NULL, NULL)),
       ('user_feed asc', api.user_feed(pg_temp.uid('sh_alice'), 20, 0, 'asc', NULL, NULL, NULL, NULL)),
       ('user_feed filtered', api.user_feed(pg_temp.uid('sh_alice'), 20, 0, 'desc', ARRAY['Go'], 'two', NULL, NULL));
SELECT ok(pg_temp.compact(j), name || ' is compact') FROM answers ORDER BY name;
SELECT ok(pg_temp.times(j), name || ' writes every time with six digits in UTC')
  FROM answers ORDER BY name;
SELECT is(json_array_length(j), 2, 'the feed holds alice''s two posts') FROM answers WHERE name = 'user_feed';
SELECT is(json_array_length(j), 1, 'the filtered feed holds one') FROM answers WHERE name = 'user_feed filtered';

SELECT * FROM finish();
ROLLBACK;
