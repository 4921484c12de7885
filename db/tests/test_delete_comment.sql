-- api.delete_comment: the comment's author, the post's author, moderators and admins.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(13);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
CREATE FUNCTION pg_temp.cid(p_content text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.comments WHERE content = p_content $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id)
VALUES ('dc_owner', 'dc_owner@example.com', 'h', true, 1),
       ('dc_writer', 'dc_writer@example.com', 'h', true, 1),
       ('dc_other', 'dc_other@example.com', 'h', true, 1),
       ('dc_mod', 'dc_mod@example.com', 'h', true, 2),
       ('dc_admin', 'dc_admin@example.com', 'h', true, 3);
INSERT INTO social.posts (user_id, title, content)
VALUES (pg_temp.uid('dc_owner'), 'dc post', 'c'), (pg_temp.uid('dc_owner'), 'dc elsewhere', 'c');
INSERT INTO social.comments (post_id, user_id, content)
SELECT pg_temp.pid('dc post'), pg_temp.uid('dc_writer'), x
  FROM unnest(ARRAY['dc by writer', 'dc by owner', 'dc by mod', 'dc by admin', 'dc stays']) x;

SELECT throws_ok(format('SELECT api.delete_comment(%s, -1, %s)', pg_temp.pid('dc post'), pg_temp.uid('dc_writer')),
                 'SN404', NULL, 'no such comment -> SN404');
SELECT throws_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc elsewhere'),
                        pg_temp.cid('dc by writer'), pg_temp.uid('dc_writer')),
                 'SN404', NULL, 'a comment of another post -> SN404');
SELECT throws_ok(format('SELECT api.delete_comment(-1, %s, %s)', pg_temp.cid('dc by writer'), pg_temp.uid('dc_other')),
                 'SN404', NULL, 'no such post -> SN404, before SN403');
SELECT throws_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                        pg_temp.cid('dc by writer'), pg_temp.uid('dc_other')),
                 'SN403', NULL, 'another user -> SN403');
SELECT throws_ok(format('SELECT api.delete_comment(%s, %s, -1)', pg_temp.pid('dc post'), pg_temp.cid('dc by writer')),
                 'SN403', NULL, 'an actor that does not exist -> SN403');
SELECT is((SELECT count(*)::int FROM social.comments WHERE post_id = pg_temp.pid('dc post')), 5,
          'refused deletions delete nothing');

SELECT lives_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                       pg_temp.cid('dc by writer'), pg_temp.uid('dc_writer')), 'its author deletes it');
SELECT lives_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                       pg_temp.cid('dc by owner'), pg_temp.uid('dc_owner')), 'the post''s author deletes it');
SELECT lives_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                       pg_temp.cid('dc by mod'), pg_temp.uid('dc_mod')), 'a moderator deletes it');
SELECT lives_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                       pg_temp.cid('dc by admin'), pg_temp.uid('dc_admin')), 'an admin deletes it');
SELECT results_eq($$SELECT content FROM social.comments WHERE post_id = pg_temp.pid('dc post')$$,
                  $$VALUES ('dc stays'::text)$$, 'exactly those four are gone');
SELECT isnt(pg_temp.pid('dc post'), NULL, 'the post stays');
SELECT throws_ok(format('SELECT api.delete_comment(%s, %s, %s)', pg_temp.pid('dc post'),
                        (SELECT max(id) + 1 FROM social.comments), pg_temp.uid('dc_admin')),
                 'SN404', NULL, 'a deleted comment is not found again');

SELECT * FROM finish();
ROLLBACK;
