-- api.reset_password: single use, expiry, a replaced token, the epoch bump and the revocation of
-- every refresh token of the account.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(17);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.h(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(md5(p), 'hex') $$;
CREATE FUNCTION pg_temp.u(p_name text) RETURNS social.users LANGUAGE sql STABLE AS
$$ SELECT u FROM social.users u WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('rp_alice', 'rp_alice@example.com', 'old-hash', true),
       ('rp_bob', 'rp_bob@example.com', 'bob-hash', true),
       ('rp_late', 'rp_late@example.com', 'late-hash', true);
DO $$ BEGIN PERFORM api.request_password_reset('rp_alice@example.com', pg_temp.h('alice-1'), interval '1 hour'); END $$;
DO $$ BEGIN PERFORM api.request_password_reset('rp_bob@example.com', pg_temp.h('bob-1'), interval '1 hour'); END $$;
DO $$ BEGIN PERFORM api.request_password_reset('rp_late@example.com', pg_temp.h('late-1'), interval '-1 second'); END $$;
-- two logins of alice, one already rotated, one of bob
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, expires_at, used_at)
VALUES (pg_temp.h('a-rt1'), pg_temp.uid('rp_alice'), '11111111-1111-1111-1111-111111111111', now() + interval '1 day', now()),
       (pg_temp.h('a-rt2'), pg_temp.uid('rp_alice'), '11111111-1111-1111-1111-111111111111', now() + interval '1 day', NULL),
       (pg_temp.h('a-rt3'), pg_temp.uid('rp_alice'), '22222222-2222-2222-2222-222222222222', now() + interval '1 day', NULL),
       (pg_temp.h('b-rt1'), pg_temp.uid('rp_bob'), '33333333-3333-3333-3333-333333333333', now() + interval '1 day', NULL);

-- happy path
SELECT is(api.reset_password(pg_temp.h('alice-1'), 'new-hash'), pg_temp.uid('rp_alice'), 'returns the user id');
SELECT is((pg_temp.u('rp_alice')).password_hash, 'new-hash', 'the password hash is replaced');
SELECT is((pg_temp.u('rp_alice')).token_epoch, 1, 'the token epoch is bumped');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = pg_temp.uid('rp_alice') AND revoked_at IS NULL), 0,
          'every refresh token of the account is revoked');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE user_id = pg_temp.uid('rp_alice')), 0, 'the token is consumed');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens WHERE user_id = pg_temp.uid('rp_bob') AND revoked_at IS NULL), 1,
          'other accounts keep their refresh tokens');
SELECT is((pg_temp.u('rp_bob')).password_hash, 'bob-hash', 'other accounts keep their password');
SELECT is((pg_temp.u('rp_bob')).token_epoch, 0, 'other accounts keep their epoch');
SELECT is(api.rotate_refresh_token(pg_temp.h('a-rt2'), pg_temp.h('a-rt4'), interval '1 day'), NULL,
          'a revoked refresh token no longer rotates');

-- single use
SELECT throws_ok($$SELECT api.reset_password(pg_temp.h('alice-1'), 'again-hash')$$,
    'SN400', 'this reset link is unknown, used or expired', 'a used token -> SN400');
SELECT is((pg_temp.u('rp_alice')).password_hash, 'new-hash', 'the failed reuse changes nothing');
SELECT is((pg_temp.u('rp_alice')).token_epoch, 1, 'nor the epoch');

-- a token replaced by a newer request
DO $$ BEGIN PERFORM api.request_password_reset('rp_bob@example.com', pg_temp.h('bob-2'), interval '1 hour'); END $$;
SELECT throws_ok($$SELECT api.reset_password(pg_temp.h('bob-1'), 'x-hash')$$,
    'SN400', 'this reset link is unknown, used or expired', 'a replaced token -> SN400');
SELECT is(api.reset_password(pg_temp.h('bob-2'), 'bob-new'), pg_temp.uid('rp_bob'), 'the newer token works');

-- expired, unknown, NULL
SELECT throws_ok($$SELECT api.reset_password(pg_temp.h('late-1'), 'x-hash')$$,
    'SN400', 'this reset link is unknown, used or expired', 'an expired token -> SN400');
SELECT throws_ok($$SELECT api.reset_password(pg_temp.h('no-such-token'), 'x-hash')$$,
    'SN400', 'this reset link is unknown, used or expired', 'an unknown token -> SN400');
SELECT throws_ok($$SELECT api.reset_password(NULL, 'x-hash')$$, 'SN400', NULL, 'a NULL token -> SN400');

SELECT * FROM finish();
ROLLBACK;
