-- api.purge_expired_invitations: removes inactive users whose every invitation has expired
-- (and that have at least one); returns how many users were removed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.alive(p_name text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT EXISTS (SELECT 1 FROM social.users WHERE username = p_name) $$;

-- start from an empty users table (rolled back at the end), so the count is exact
DELETE FROM social.users;

INSERT INTO social.users (username, email, password_hash, is_active) VALUES
  ('pu_expired', 'pu_expired@example.com', 'h', false),     -- one expired invitation: purged
  ('pu_expired2', 'pu_expired2@example.com', 'h', false),   -- two expired invitations: purged
  ('pu_active', 'pu_active@example.com', 'h', true),        -- active with an expired invitation: spared
  ('pu_live', 'pu_live@example.com', 'h', false),           -- live invitation: spared
  ('pu_mixed', 'pu_mixed@example.com', 'h', false),         -- one expired, one live: spared
  ('pu_none', 'pu_none@example.com', 'h', false);           -- no invitation at all: spared
INSERT INTO social.invitations (token_hash, user_id, expires_at) VALUES
  (decode(md5('pu-1'), 'hex'), pg_temp.uid('pu_expired'), now() - interval '1 second'),
  (decode(md5('pu-2'), 'hex'), pg_temp.uid('pu_expired2'), now() - interval '3 days'),
  (decode(md5('pu-3'), 'hex'), pg_temp.uid('pu_expired2'), now() - interval '1 hour'),
  (decode(md5('pu-4'), 'hex'), pg_temp.uid('pu_active'), now() - interval '1 day'),
  (decode(md5('pu-5'), 'hex'), pg_temp.uid('pu_live'), now() + interval '1 day'),
  (decode(md5('pu-6'), 'hex'), pg_temp.uid('pu_mixed'), now() - interval '1 day'),
  (decode(md5('pu-7'), 'hex'), pg_temp.uid('pu_mixed'), now() + interval '1 hour');
-- the purged user's data goes with it
INSERT INTO social.posts (user_id, title, content) VALUES (pg_temp.uid('pu_expired'), 'pu post', 'c');

SELECT is(api.purge_expired_invitations(), 2, 'returns the number of removed users');
SELECT ok(NOT pg_temp.alive('pu_expired'), 'inactive user with an expired invitation is removed');
SELECT ok(NOT pg_temp.alive('pu_expired2'), 'inactive user whose invitations all expired is removed');
SELECT ok(pg_temp.alive('pu_active'), 'active user is spared, even with an expired invitation');
SELECT ok(pg_temp.alive('pu_live'), 'user with a live invitation is spared');
SELECT ok(pg_temp.alive('pu_mixed'), 'user with one live invitation among expired ones is spared');
SELECT ok(pg_temp.alive('pu_none'), 'inactive user without any invitation is spared');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE token_hash IN
             (decode(md5('pu-1'), 'hex'), decode(md5('pu-2'), 'hex'), decode(md5('pu-3'), 'hex'))), 0,
          'the removed users'' invitations are gone');
SELECT is((SELECT count(*)::int FROM social.invitations), 4, 'the spared users'' invitations are kept');
SELECT is((SELECT count(*)::int FROM social.posts WHERE title = 'pu post'), 0, 'the removed user''s posts are gone');
SELECT is(api.purge_expired_invitations(), 0, 'a second run removes nothing');

-- a registration with an elapsed ttl is purged; a fresh one is not
SELECT lives_ok($$SELECT api.register_user('pu_late', 'pu_late@example.com', 'h', decode(md5('pu-8'), 'hex'), interval '-1 second'),
                         api.register_user('pu_fresh', 'pu_fresh@example.com', 'h', decode(md5('pu-9'), 'hex'), interval '3 days')$$,
                'register one expired and one fresh user');
SELECT is(api.purge_expired_invitations(), 1, 'the sweep removes the expired registration');
SELECT ok(NOT pg_temp.alive('pu_late') AND pg_temp.alive('pu_fresh'), 'the expired one is gone, the fresh one kept');

SELECT * FROM finish();
ROLLBACK;
