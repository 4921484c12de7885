-- api.set_user_role: returns the user json; SN400 unknown role, SN404 missing user.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(12);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, updated_at)
VALUES ('sr_alice', 'sr_alice@example.com', 'h', true, now() - interval '1 day'),
       ('sr_bob', 'sr_bob@example.com', 'h', true, now() - interval '1 day');

SELECT is((api.set_user_role(pg_temp.uid('sr_alice'), 'admin')->'role')::jsonb,
          '{"id": 3, "name": "admin", "level": 3}'::jsonb, 'promote to admin: user json shows the admin role');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_alice'), 3, 'stored role_id is 3');
SELECT is((SELECT updated_at FROM social.users WHERE username = 'sr_alice'), now(), 'updated_at is set');
SELECT is(ARRAY(SELECT json_object_keys(api.set_user_role(pg_temp.uid('sr_alice'), 'moderator'))),
          ARRAY['id', 'username', 'email', 'created_at', 'is_active', 'role'], 'returns a full user json');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_alice'), 2, 'demoted to moderator');
SELECT is(api.set_user_role(pg_temp.uid('sr_alice'), 'user')->'role'->>'name', 'user', 'back to user');
SELECT is((api.set_user_role(pg_temp.uid('sr_alice'), 'user')->>'id')::bigint, pg_temp.uid('sr_alice'),
          'setting the current role again is fine');

SELECT throws_ok(format('SELECT api.set_user_role(%s, %L)', pg_temp.uid('sr_bob'), 'superuser'),
                 'SN400', 'unknown role', 'unknown role -> SN400');
SELECT throws_ok(format('SELECT api.set_user_role(%s, NULL)', pg_temp.uid('sr_bob')),
                 'SN400', 'unknown role', 'NULL role -> SN400');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_bob'), 1, 'failed call leaves the role alone');
SELECT throws_ok('SELECT api.set_user_role(-1, ''admin'')', 'SN404', 'user not found', 'missing user -> SN404');
SELECT is((SELECT count(*)::int FROM social.users WHERE role_id = 3 AND username LIKE 'sr\_%'), 0,
          'no admin created by the failed calls');

SELECT * FROM finish();
ROLLBACK;
