-- api.set_user_role: an admin actor (or an operator in psql) sets a role and gets the user json;
-- SN403 for any other actor, SN400 unknown role, SN404 missing user.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(18);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id, updated_at)
VALUES ('sr_alice', 'sr_alice@example.com', 'h', true, 1, now() - interval '1 day'),
       ('sr_bob', 'sr_bob@example.com', 'h', true, 1, now() - interval '1 day'),
       ('sr_mod', 'sr_mod@example.com', 'h', true, 2, now() - interval '1 day'),
       ('sr_admin', 'sr_admin@example.com', 'h', true, 3, now() - interval '1 day');

-- An operator in psql (this superuser session) may leave the actor out: the first admin.
SELECT is((api.set_user_role(pg_temp.uid('sr_alice'), 'admin')->'role')::jsonb,
          '{"id": 3, "name": "admin", "level": 3}'::jsonb, 'operator promotes to admin: user json shows the admin role');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_alice'), 3, 'stored role_id is 3');
SELECT is((SELECT updated_at FROM social.users WHERE username = 'sr_alice'), now(), 'updated_at is set');

-- An admin actor.
SELECT is(ARRAY(SELECT json_object_keys(api.set_user_role(pg_temp.uid('sr_alice'), 'moderator', pg_temp.uid('sr_admin')))),
          ARRAY['id', 'username', 'email', 'created_at', 'is_active', 'role', 'followers_count',
                'following_count', 'posts_count'], 'admin actor: returns a full user json');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_alice'), 2, 'demoted to moderator');
SELECT is(api.set_user_role(pg_temp.uid('sr_alice'), 'user', pg_temp.uid('sr_admin'))->'role'->>'name', 'user', 'back to user');
SELECT is((api.set_user_role(pg_temp.uid('sr_alice'), 'user', pg_temp.uid('sr_admin'))->>'id')::bigint,
          pg_temp.uid('sr_alice'), 'setting the current role again is fine');
SELECT is(api.set_user_role(pg_temp.uid('sr_admin'), 'admin', pg_temp.uid('sr_admin'))->'role'->>'name', 'admin',
          'an admin may set its own role');

-- Anyone else: SN403, checked before the role and the target, and nothing changes.
SELECT throws_ok(format('SELECT api.set_user_role(%s, %L, %s)', pg_temp.uid('sr_bob'), 'admin', pg_temp.uid('sr_bob')),
                 'SN403', 'only admins may change roles', 'a user promoting itself -> SN403');
SELECT throws_ok(format('SELECT api.set_user_role(%s, %L, %s)', pg_temp.uid('sr_bob'), 'moderator', pg_temp.uid('sr_mod')),
                 'SN403', 'only admins may change roles', 'a moderator -> SN403');
SELECT throws_ok(format('SELECT api.set_user_role(%s, %L, %s)', pg_temp.uid('sr_bob'), 'admin', -1),
                 'SN403', 'only admins may change roles', 'an unknown actor -> SN403');
SELECT throws_ok(format('SELECT api.set_user_role(-1, %L, %s)', 'nonsense', pg_temp.uid('sr_mod')),
                 'SN403', 'only admins may change roles', 'not an admin: SN403 before SN400 and SN404');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_bob'), 1, 'refused calls leave the role alone');

SELECT throws_ok(format('SELECT api.set_user_role(%s, %L, %s)', pg_temp.uid('sr_bob'), 'superuser', pg_temp.uid('sr_admin')),
                 'SN400', 'unknown role', 'unknown role -> SN400');
SELECT throws_ok(format('SELECT api.set_user_role(%s, NULL, %s)', pg_temp.uid('sr_bob'), pg_temp.uid('sr_admin')),
                 'SN400', 'unknown role', 'NULL role -> SN400');
SELECT is((SELECT role_id::int FROM social.users WHERE username = 'sr_bob'), 1, 'failed call leaves the role alone');
SELECT throws_ok(format('SELECT api.set_user_role(-1, %L, %s)', 'admin', pg_temp.uid('sr_admin')),
                 'SN404', 'user not found', 'missing user -> SN404');
SELECT is((SELECT count(*)::int FROM social.users WHERE role_id = 3 AND username IN ('sr_bob')), 0,
          'no admin created by the failed calls');

SELECT * FROM finish();
ROLLBACK;
