-- api.register_user: inactive user with role 'user' plus its invitation, in one call;
-- duplicate username / email (case-insensitive) -> SN409.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);

CREATE TEMP TABLE reg_result (j json);
INSERT INTO reg_result
SELECT api.register_user('Alice.Reg', 'Alice.Reg@Example.COM', 'bcrypt-hash-alice',
                         decode(md5('reg-alice'), 'hex'), interval '3 days');

-- happy path: the returned json
SELECT is((SELECT json_typeof(j) FROM reg_result), 'object', 'register_user returns a json object');
SELECT is(ARRAY(SELECT json_object_keys(j) FROM reg_result),
          ARRAY['id', 'username', 'email', 'created_at', 'is_active', 'role', 'followers_count',
                'following_count', 'posts_count'],
          'user json has the keys id, username, email, created_at, is_active, role in that order');
SELECT is((SELECT j->>'username' FROM reg_result), 'Alice.Reg', 'username returned as given');
SELECT is((SELECT j->>'email' FROM reg_result), 'Alice.Reg@Example.COM', 'email returned as given');
SELECT is((SELECT (j->>'is_active')::boolean FROM reg_result), false, 'new user is inactive');
SELECT is((SELECT json_typeof(j->'is_active') FROM reg_result), 'boolean', 'is_active is a json boolean');
SELECT is((SELECT json_typeof(j->'id') FROM reg_result), 'number', 'id is a json number');
SELECT is(ARRAY(SELECT json_object_keys(j->'role') FROM reg_result), ARRAY['id', 'name', 'level'],
          'role object has keys id, name, level');
SELECT is((SELECT (j->'role')::jsonb FROM reg_result), '{"id": 1, "name": "user", "level": 1}'::jsonb,
          'new user has role user (id 1, level 1)');
SELECT ok((SELECT j->>'password_hash' IS NULL AND NOT (j::jsonb ? 'password_hash') FROM reg_result),
          'password hash is not part of the user json');
SELECT is((SELECT (j->>'created_at')::timestamptz FROM reg_result), now(), 'created_at is the insert time');

-- happy path: the stored rows
SELECT is((SELECT count(*)::int FROM social.users u, reg_result r WHERE u.id = (r.j->>'id')::bigint), 1,
          'user row exists with the returned id');
SELECT results_eq(
    $$SELECT u.username, u.email, u.password_hash, u.is_active, u.role_id::int
        FROM social.users u JOIN reg_result r ON u.id = (r.j->>'id')::bigint$$,
    $$VALUES ('Alice.Reg'::text, 'Alice.Reg@Example.COM'::text, 'bcrypt-hash-alice'::text, false, 1)$$,
    'stored user: username and email as given, password hash, inactive, role user');
SELECT results_eq(
    $$SELECT i.user_id, i.expires_at FROM social.invitations i WHERE i.token_hash = decode(md5('reg-alice'), 'hex')$$,
    $$SELECT (j->>'id')::bigint, now() + interval '3 days' FROM reg_result$$,
    'invitation stored with the token hash, the user id and expires_at = now() + ttl');
SELECT is((SELECT count(*)::int FROM social.invitations i JOIN reg_result r ON i.user_id = (r.j->>'id')::bigint), 1,
          'exactly one invitation for the new user');

-- the ttl is honoured
SELECT lives_ok($$SELECT api.register_user('short_ttl', 'short@example.com', 'h', decode(md5('reg-short'), 'hex'), interval '90 minutes')$$,
                'register with another ttl');
SELECT is((SELECT expires_at FROM social.invitations WHERE token_hash = decode(md5('reg-short'), 'hex')),
          now() + interval '90 minutes', 'invitation expiry follows the ttl');

-- duplicates: username, case-insensitive
SELECT throws_ok(
    $$SELECT api.register_user('alice.reg', 'other1@example.com', 'h', decode(md5('reg-dup1'), 'hex'), interval '3 days')$$,
    'SN409', 'username is already taken', 'duplicate username (other case) -> SN409');
SELECT throws_ok(
    $$SELECT api.register_user('Alice.Reg', 'other2@example.com', 'h', decode(md5('reg-dup2'), 'hex'), interval '3 days')$$,
    'SN409', 'username is already taken', 'duplicate username (same case) -> SN409');
-- duplicates: email, case-insensitive
SELECT throws_ok(
    $$SELECT api.register_user('someone_else', 'alice.reg@example.com', 'h', decode(md5('reg-dup3'), 'hex'), interval '3 days')$$,
    'SN409', 'email is already registered', 'duplicate email (other case) -> SN409');
SELECT throws_ok(
    $$SELECT api.register_user('someone_else2', 'ALICE.REG@EXAMPLE.COM', 'h', decode(md5('reg-dup4'), 'hex'), interval '3 days')$$,
    'SN409', 'email is already registered', 'duplicate email (upper case) -> SN409');
-- nothing kept from the failed attempts
SELECT is((SELECT count(*)::int FROM social.users WHERE lower(username) IN ('someone_else', 'someone_else2')
              OR lower(email) IN ('other1@example.com', 'other2@example.com')), 0,
          'failed registrations left no user');
SELECT is((SELECT count(*)::int FROM social.invitations
            WHERE token_hash IN (decode(md5('reg-dup1'), 'hex'), decode(md5('reg-dup2'), 'hex'),
                                 decode(md5('reg-dup3'), 'hex'), decode(md5('reg-dup4'), 'hex'))), 0,
          'failed registrations left no invitation');

-- the same invitation token hash cannot be used twice (it is the primary key)
SELECT throws_ok(
    $$SELECT api.register_user('token_clash', 'token_clash@example.com', 'h', decode(md5('reg-alice'), 'hex'), interval '3 days')$$,
    NULL, NULL, 'reusing an invitation token hash fails');
SELECT is((SELECT count(*)::int FROM social.users WHERE username = 'token_clash'), 0,
          'and leaves no user behind');

-- case-insensitive uniqueness also holds at the table level
SELECT throws_ok(
    $$INSERT INTO social.users (username, email, password_hash) VALUES ('ALICE.REG', 'x1@example.com', 'h')$$,
    '23505', NULL, 'users_username_key rejects a username differing only in case');
SELECT throws_ok(
    $$INSERT INTO social.users (username, email, password_hash) VALUES ('x1', 'alice.reg@EXAMPLE.com', 'h')$$,
    '23505', NULL, 'users_email_key rejects an email differing only in case');

-- a second, distinct user registers fine and gets a different id
SELECT lives_ok($$SELECT api.register_user('bob_reg', 'bob_reg@example.com', 'h', decode(md5('reg-bob'), 'hex'), interval '3 days')$$,
                'distinct username and email register fine');
SELECT isnt((SELECT id FROM social.users WHERE username = 'bob_reg'), (SELECT (j->>'id')::bigint FROM reg_result),
            'second user gets its own id');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'bob_reg'), 1, 'second user also has role user');

SELECT * FROM finish();
ROLLBACK;
