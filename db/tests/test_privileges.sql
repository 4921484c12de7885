-- Least privilege: gosocial_app reaches the data only through the api functions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(39);

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
SELECT table_privs_are('social', 'users', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.users');
SELECT table_privs_are('social', 'roles', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.roles');
SELECT table_privs_are('social', 'invitations', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.invitations');
SELECT table_privs_are('social', 'refresh_tokens', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.refresh_tokens');
SELECT table_privs_are('social', 'password_resets', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.password_resets');
SELECT table_privs_are('social', 'posts', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.posts');
SELECT table_privs_are('social', 'comments', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.comments');
SELECT table_privs_are('social', 'followers', 'gosocial_app', ARRAY[]::text[], 'no table privilege on social.followers');
SELECT is(
    ARRAY(SELECT DISTINCT table_name::text FROM information_schema.role_table_grants
           WHERE table_schema = 'social' AND grantee IN ('gosocial_app', 'PUBLIC') ORDER BY 1),
    ARRAY[]::text[], 'no grants on social tables to gosocial_app or PUBLIC');
SELECT is(
    ARRAY(SELECT p.proname::text FROM pg_proc p
           WHERE p.pronamespace = 'api'::regnamespace
             AND NOT has_function_privilege('gosocial_app', p.oid, 'EXECUTE') ORDER BY 1),
    ARRAY[]::text[], 'gosocial_app may EXECUTE every api function');
SELECT is(
    ARRAY(SELECT p.proname::text FROM pg_proc p
           WHERE p.pronamespace = 'api'::regnamespace
             AND has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY 1),
    ARRAY[]::text[], 'PUBLIC may EXECUTE no api function (REVOKE ALL ... FROM PUBLIC)');
SELECT function_privs_are('api', 'user_feed',
    ARRAY['bigint', 'integer', 'integer', 'text', 'text[]', 'text', 'timestamp with time zone', 'timestamp with time zone',
          'timestamp with time zone', 'bigint'],
    'gosocial_app', ARRAY['EXECUTE'], 'gosocial_app may EXECUTE api.user_feed');
SELECT function_privs_are('api', 'get_login', ARRAY['text'], 'public', ARRAY[]::text[],
    'PUBLIC may not EXECUTE api.get_login');

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
SELECT lives_ok($$SELECT api.get_post(current_setting('test.post')::bigint)$$, 'gosocial_app can call api.get_post');
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
