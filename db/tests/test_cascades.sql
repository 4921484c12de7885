-- Deleting a user removes its posts, comments, follows, invitations, reset and refresh tokens;
-- deleting a post removes its comments. Other users' data is untouched.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(19);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;

-- start from empty tables (rolled back at the end), so the global counts below are exact
DELETE FROM social.users;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('ca_doomed', 'ca_doomed@example.com', 'h', true),
       ('ca_bob', 'ca_bob@example.com', 'h', true),
       ('ca_carol', 'ca_carol@example.com', 'h', true);
CREATE TEMP TABLE doomed AS SELECT pg_temp.uid('ca_doomed') AS id;

INSERT INTO social.posts (user_id, title, content)
VALUES (pg_temp.uid('ca_doomed'), 'ca doomed post 1', 'c'), (pg_temp.uid('ca_doomed'), 'ca doomed post 2', 'c'),
       (pg_temp.uid('ca_bob'), 'ca bob post', 'c'), (pg_temp.uid('ca_bob'), 'ca bob post 2', 'c');
INSERT INTO social.comments (post_id, user_id, content)
VALUES (pg_temp.pid('ca doomed post 1'), pg_temp.uid('ca_doomed'), 'own comment'),
       (pg_temp.pid('ca doomed post 1'), pg_temp.uid('ca_bob'), 'bob on doomed post'),
       (pg_temp.pid('ca bob post'), pg_temp.uid('ca_doomed'), 'doomed on bob post'),
       (pg_temp.pid('ca bob post'), pg_temp.uid('ca_carol'), 'carol on bob post'),
       (pg_temp.pid('ca bob post 2'), pg_temp.uid('ca_carol'), 'carol on bob post 2 a'),
       (pg_temp.pid('ca bob post 2'), pg_temp.uid('ca_bob'), 'bob on bob post 2 b');
INSERT INTO social.followers (user_id, follower_id)
VALUES (pg_temp.uid('ca_bob'), pg_temp.uid('ca_doomed')),     -- doomed follows bob
       (pg_temp.uid('ca_doomed'), pg_temp.uid('ca_carol')),   -- carol follows doomed
       (pg_temp.uid('ca_bob'), pg_temp.uid('ca_carol'));      -- carol follows bob (kept)
INSERT INTO social.invitations (token_hash, user_id, expires_at)
VALUES (decode(md5('ca-inv'), 'hex'), pg_temp.uid('ca_doomed'), now() + interval '1 day'),
       (decode(md5('ca-inv-bob'), 'hex'), pg_temp.uid('ca_bob'), now() + interval '1 day');
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, expires_at)
VALUES (decode(md5('ca-rt1'), 'hex'), pg_temp.uid('ca_doomed'), '77777777-7777-7777-7777-777777777777', now() + interval '1 day'),
       (decode(md5('ca-rt2'), 'hex'), pg_temp.uid('ca_doomed'), '77777777-7777-7777-7777-777777777777', now() + interval '1 day'),
       (decode(md5('ca-rt-bob'), 'hex'), pg_temp.uid('ca_bob'), '88888888-8888-8888-8888-888888888888', now() + interval '1 day');

INSERT INTO social.password_resets (user_id, token_hash, expires_at)
VALUES (pg_temp.uid('ca_doomed'), decode(md5('ca-reset'), 'hex'), now() + interval '1 hour');

-- deleting a user
SELECT lives_ok($$SELECT api.delete_user(pg_temp.uid('ca_doomed'))$$, 'delete_user succeeds');
SELECT is((SELECT count(*)::int FROM social.users WHERE id = (SELECT id FROM doomed)), 0, 'the user is gone');
SELECT is((SELECT count(*)::int FROM social.posts WHERE user_id = (SELECT id FROM doomed)), 0, 'its posts are gone');
SELECT is((SELECT count(*)::int FROM social.comments WHERE user_id = (SELECT id FROM doomed)), 0,
          'its comments (on any post) are gone');
SELECT is((SELECT count(*)::int FROM social.comments WHERE content = 'bob on doomed post'), 0,
          'other users'' comments on its posts are gone with the posts');
SELECT is((SELECT count(*)::int FROM social.followers WHERE follower_id = (SELECT id FROM doomed)), 0,
          'the follows it made are gone');
SELECT is((SELECT count(*)::int FROM social.followers WHERE user_id = (SELECT id FROM doomed)), 0,
          'the follows of it are gone');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE user_id = (SELECT id FROM doomed)), 0, 'its invitations are gone');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = (SELECT id FROM doomed)), 0,
          'its refresh tokens are gone');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE user_id = (SELECT id FROM doomed)), 0,
          'its password reset token is gone');
-- the rest stays
SELECT is((SELECT count(*)::int FROM social.posts WHERE title LIKE 'ca bob post%'), 2, 'other users'' posts stay');
SELECT is(ARRAY(SELECT content FROM social.comments WHERE post_id = pg_temp.pid('ca bob post') ORDER BY content),
          ARRAY['carol on bob post'], 'other users'' comments on other posts stay');
SELECT is((SELECT count(*)::int FROM social.followers), 1, 'unrelated follows stay');
SELECT is((SELECT count(*)::int FROM social.invitations), 1, 'other invitations stay');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens), 1, 'other refresh tokens stay');

-- deleting a post
SELECT lives_ok($$SELECT api.delete_post(pg_temp.pid('ca bob post 2'), pg_temp.uid('ca_bob'))$$, 'delete_post succeeds');
SELECT is((SELECT count(*)::int FROM social.comments WHERE content LIKE 'carol on bob post 2%' OR content LIKE 'bob on bob post 2%'),
          0, 'its comments are gone');
SELECT is((SELECT count(*)::int FROM social.comments), 1, 'comments of other posts stay');

-- a plain DELETE cascades too (the foreign keys, not only the function)
DELETE FROM social.users WHERE username = 'ca_bob';
SELECT is((SELECT count(*)::int FROM social.posts) + (SELECT count(*)::int FROM social.comments)
          + (SELECT count(*)::int FROM social.followers) + (SELECT count(*)::int FROM social.invitations)
          + (SELECT count(*)::int FROM social.refresh_tokens), 0,
          'DELETE FROM social.users cascades through every table');

SELECT * FROM finish();
ROLLBACK;
