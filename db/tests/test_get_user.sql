-- api.get_user: user json with nested role; SN404 when missing.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id, created_at)
VALUES ('gu_alice', 'GU_Alice@Example.com', 'secret-hash', true, 2, '2026-01-02 03:04:05.123456+00'),
       ('gu_bob', 'gu_bob@example.com', 'secret-hash', false, 1, now());

SELECT is(ARRAY(SELECT json_object_keys(api.get_user(pg_temp.uid('gu_alice')))),
          ARRAY['id', 'username', 'email', 'created_at', 'is_active', 'role', 'followers_count',
                'following_count', 'posts_count'],
          'user json keys in spec order');
SELECT is((api.get_user(pg_temp.uid('gu_alice'))->>'id')::bigint, pg_temp.uid('gu_alice'), 'id');
SELECT is(api.get_user(pg_temp.uid('gu_alice'))->>'username', 'gu_alice', 'username');
SELECT is(api.get_user(pg_temp.uid('gu_alice'))->>'email', 'GU_Alice@Example.com', 'email as stored');
SELECT is((api.get_user(pg_temp.uid('gu_alice'))->>'created_at')::timestamptz, '2026-01-02 03:04:05.123456+00'::timestamptz,
          'created_at round-trips with microseconds');
SELECT is((api.get_user(pg_temp.uid('gu_alice'))->'is_active')::text, 'true', 'is_active true as a json boolean');
SELECT is((api.get_user(pg_temp.uid('gu_alice'))->'role')::jsonb, '{"id": 2, "name": "moderator", "level": 2}'::jsonb,
          'role object of a moderator');
SELECT is(ARRAY(SELECT json_object_keys(api.get_user(pg_temp.uid('gu_alice'))->'role')), ARRAY['id', 'name', 'level'],
          'role keys in spec order');
SELECT is((api.get_user(pg_temp.uid('gu_bob'))->'is_active')::text, 'false', 'inactive user has is_active false');
SELECT is((api.get_user(pg_temp.uid('gu_bob'))->'role'->>'name'), 'user', 'plain user has role user');
SELECT ok(NOT (api.get_user(pg_temp.uid('gu_alice'))::jsonb ? 'password_hash'), 'no password hash in the user json');

SET LOCAL TimeZone = 'UTC';
SELECT is(api.get_user(pg_temp.uid('gu_alice'))->>'created_at', '2026-01-02T03:04:05.123456+00:00',
          'with the session in UTC, created_at renders as RFC 3339 with offset');

SELECT throws_ok('SELECT api.get_user(-1)', 'SN404', 'user not found', 'missing user -> SN404');
SELECT throws_ok(format('SELECT api.get_user(%s)', (SELECT coalesce(max(id), 0) + 1000 FROM social.users)),
                 'SN404', 'user not found', 'id past the last user -> SN404');

SELECT * FROM finish();
ROLLBACK;
