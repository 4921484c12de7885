-- Least privilege: gosocial_app reaches the data only through the api functions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- 26 fixed tests, and one for each relation of schema social (derived below).
SELECT plan(26 + (SELECT count(*)::int FROM pg_class
                   WHERE relnamespace = 'social'::regnamespace
                     AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S')));

-- fixture (as superuser); ids handed to the app role through transaction-local settings
DO $$
DECLARE
    v_alice bigint;
    v_post  bigint;
BEGIN
    INSERT INTO social.users (username, email, password_hash, is_active)
    VALUES ('priv_alice', 'priv_alice@example.com', 'hash-a', true) RETURNING id INTO v_alice;
    INSERT INTO social.posts (user_id, title, content)
    VALUES (v_alice, 'priv post', 'priv content') RETURNING id INTO v_post;
    PERFORM set_config('test.alice', v_alice::text, true);
    PERFORM set_config('test.post', v_post::text, true);
END $$;

-- catalog view of the grants
SELECT schema_privs_are('api', 'gosocial_app', ARRAY['USAGE'], 'gosocial_app has USAGE (only) on schema api');
SELECT schema_privs_are('social', 'gosocial_app', ARRAY[]::text[], 'gosocial_app has no privilege on schema social');
SELECT ok(NOT has_schema_privilege('public', 'social', 'USAGE'), 'PUBLIC has no USAGE on schema social');
SELECT ok(NOT has_schema_privilege('public', 'api', 'CREATE'), 'PUBLIC cannot create in schema api');
-- Every relation of schema social, from the catalog (a new table is checked without editing
-- this file): gosocial_app has no privilege on it, through PUBLIC or a column grant either.
SELECT ok(CASE c.relkind
              WHEN 'S' THEN
                  NOT has_sequence_privilege('gosocial_app', c.oid, 'USAGE, SELECT, UPDATE')
              ELSE
                  NOT has_any_column_privilege('gosocial_app', c.oid,
                                               'SELECT, INSERT, UPDATE, REFERENCES')
                  AND NOT has_table_privilege('gosocial_app', c.oid, 'DELETE, TRUNCATE, TRIGGER')
          END,
          format('gosocial_app has no privilege on %s', c.oid::regclass))
  FROM pg_class c
 WHERE c.relnamespace = 'social'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
 ORDER BY c.oid::regclass::text;
-- (Each api function's EXECUTE grants are checked in test_structure.sql.)

-- as the application role
SET LOCAL ROLE gosocial_app;
SELECT is(current_user::text, 'gosocial_app', 'now acting as gosocial_app');
SELECT throws_ok('SELECT * FROM social.users', '42501', NULL, 'gosocial_app cannot SELECT social.users');
SELECT throws_ok('SELECT password_hash FROM social.users', '42501', NULL, 'gosocial_app cannot read password hashes');
SELECT throws_ok('SELECT * FROM social.posts', '42501', NULL, 'gosocial_app cannot SELECT social.posts');
SELECT throws_ok('SELECT * FROM social.refresh_tokens', '42501', NULL, 'gosocial_app cannot SELECT social.refresh_tokens');
SELECT throws_ok($$INSERT INTO social.posts (user_id, title, content) VALUES (current_setting('test.alice')::bigint, 't', 'c')$$,
    '42501', NULL, 'gosocial_app cannot INSERT into social.posts');
SELECT throws_ok($$UPDATE social.users SET role_id = 3 WHERE id = current_setting('test.alice')::bigint$$,
    '42501', NULL, 'gosocial_app cannot UPDATE social.users');
SELECT throws_ok($$UPDATE social.posts SET version = 99$$, '42501', NULL, 'gosocial_app cannot UPDATE social.posts');
SELECT throws_ok($$DELETE FROM social.comments$$, '42501', NULL, 'gosocial_app cannot DELETE from social.comments');
SELECT throws_ok($$CREATE TABLE api.sneaky (id int)$$, '42501', NULL, 'gosocial_app cannot create tables in schema api');
SELECT throws_ok($$CREATE FUNCTION api.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'$$, '42501', NULL,
    'gosocial_app cannot create functions in schema api');

SELECT lives_ok($$SELECT api.get_user(current_setting('test.alice')::bigint)$$, 'gosocial_app can call api.get_user');
SELECT is(api.get_user(current_setting('test.alice')::bigint)->>'username', 'priv_alice',
    'api.get_user returns data to gosocial_app');
SELECT lives_ok($$SELECT api.get_post(current_setting('test.post')::bigint, 0)$$, 'gosocial_app can call api.get_post');
SELECT lives_ok($$SELECT api.register_user('priv_bob', 'priv_bob@example.com', 'hash-b', decode(md5('priv-inv'), 'hex'), interval '3 days')$$,
    'gosocial_app can call api.register_user (writes through the definer)');
SELECT lives_ok($$SELECT api.create_post(current_setting('test.alice')::bigint, 'app post', 'via app role', ARRAY['x'])$$,
    'gosocial_app can call api.create_post');
SELECT is(json_array_length(api.user_feed(current_setting('test.alice')::bigint, 20, 0, 'desc', NULL::text[], NULL::text, NULL::timestamptz, NULL::timestamptz)),
    2, 'gosocial_app can read the feed through api.user_feed');
SELECT is((SELECT count(*)::int FROM api.get_login('PRIV_ALICE@example.com')), 1, 'gosocial_app can call api.get_login');
RESET ROLE;

SELECT is(current_user::text, session_user::text, 'RESET ROLE returns to the session user');
SELECT ok(EXISTS (SELECT 1 FROM social.users WHERE username = 'priv_bob' AND NOT is_active),
    'user registered by gosocial_app is stored');
SELECT ok(EXISTS (SELECT 1 FROM social.invitations i JOIN social.users u ON u.id = i.user_id
                   WHERE u.username = 'priv_bob' AND i.token_hash = decode(md5('priv-inv'), 'hex')),
    'its invitation is stored too');
SELECT is((SELECT p.user_id FROM social.posts p WHERE p.title = 'app post'),
    current_setting('test.alice')::bigint, 'post created by gosocial_app is stored');

SELECT * FROM finish();
ROLLBACK;
