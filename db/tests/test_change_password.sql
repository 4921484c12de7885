-- api.change_password: only against the hash the caller checked; bumps the epoch, revokes every
-- refresh token of the account, drops a pending reset token.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(13);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.h(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(md5(p), 'hex') $$;
CREATE FUNCTION pg_temp.u(p_name text) RETURNS social.users LANGUAGE sql STABLE AS
$$ SELECT u FROM social.users u WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, token_epoch)
VALUES ('cp_alice', 'cp_alice@example.com', 'old-hash', true, 4),
       ('cp_bob', 'cp_bob@example.com', 'bob-hash', true, 0);
DO $$ BEGIN PERFORM api.request_password_reset('cp_alice@example.com', pg_temp.h('alice-reset'), interval '1 hour'); END $$;
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, expires_at)
VALUES (pg_temp.h('a-rt1'), pg_temp.uid('cp_alice'), '11111111-1111-1111-1111-111111111111', now() + interval '1 day'),
       (pg_temp.h('a-rt2'), pg_temp.uid('cp_alice'), '22222222-2222-2222-2222-222222222222', now() + interval '1 day'),
       (pg_temp.h('b-rt1'), pg_temp.uid('cp_bob'), '33333333-3333-3333-3333-333333333333', now() + interval '1 day');

-- the wrong current hash: nothing changes
SELECT throws_ok($$SELECT api.change_password(pg_temp.uid('cp_alice'), 'not-the-hash', 'new-hash')$$,
    'SN403', 'the current password is wrong', 'a stale or wrong current hash -> SN403');
SELECT is((pg_temp.u('cp_alice')).password_hash, 'old-hash', 'the password is unchanged');
SELECT is((pg_temp.u('cp_alice')).token_epoch, 4, 'the epoch is unchanged');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = pg_temp.uid('cp_alice') AND revoked_at IS NULL), 2,
          'the refresh tokens stay');

-- happy path
SELECT is(api.change_password(pg_temp.uid('cp_alice'), 'old-hash', 'new-hash'), 5, 'returns the bumped epoch');
SELECT is((pg_temp.u('cp_alice')).password_hash, 'new-hash', 'the password hash is replaced');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = pg_temp.uid('cp_alice') AND revoked_at IS NULL), 0,
          'every refresh token of the account is revoked');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE user_id = pg_temp.uid('cp_alice')), 0,
          'the pending reset token is dropped');
SELECT throws_ok($$SELECT api.reset_password(pg_temp.h('alice-reset'), 'x-hash')$$, 'SN400', NULL,
                 'so the reset link mailed before no longer works');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = pg_temp.uid('cp_bob') AND revoked_at IS NULL), 1,
          'other accounts keep their refresh tokens');
SELECT is((pg_temp.u('cp_bob')).token_epoch, 0, 'other accounts keep their epoch');

-- the old hash no longer matches; an unknown user neither
SELECT throws_ok($$SELECT api.change_password(pg_temp.uid('cp_alice'), 'old-hash', 'third-hash')$$,
    'SN403', 'the current password is wrong', 'the replaced hash -> SN403');
SELECT throws_ok($$SELECT api.change_password(-1, 'old-hash', 'x-hash')$$,
    'SN403', 'the current password is wrong', 'an unknown user -> SN403');

SELECT * FROM finish();
ROLLBACK;
