-- api.issue_refresh_token, api.rotate_refresh_token, api.revoke_refresh_family:
-- rotation, reuse detection (revokes the whole family), expiry, revocation, logout.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(43);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.h(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(md5(p), 'hex') $$;
CREATE FUNCTION pg_temp.tok(p text) RETURNS social.refresh_tokens LANGUAGE sql STABLE AS
$$ SELECT t FROM social.refresh_tokens t WHERE t.token_hash = pg_temp.h(p) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('rt_alice', 'rt_alice@example.com', 'h', true),
       ('rt_bob', 'rt_bob@example.com', 'h', true),
       ('rt_idle', 'rt_idle@example.com', 'h', false);

-- issue
SELECT lives_ok($$SELECT api.issue_refresh_token(pg_temp.uid('rt_alice'), pg_temp.h('t1'),
                  '11111111-1111-1111-1111-111111111111', interval '7 days')$$, 'issue a refresh token');
SELECT is((pg_temp.tok('t1')).user_id, pg_temp.uid('rt_alice'), 'stored for the user');
SELECT is((pg_temp.tok('t1')).family_id, '11111111-1111-1111-1111-111111111111'::uuid, 'stored in the given family');
SELECT is((pg_temp.tok('t1')).expires_at, now() + interval '7 days', 'expires_at = now() + ttl');
SELECT ok((pg_temp.tok('t1')).used_at IS NULL AND (pg_temp.tok('t1')).revoked_at IS NULL, 'new token is unused and unrevoked');
-- a second login of the same user: its own family
SELECT lives_ok($$SELECT api.issue_refresh_token(pg_temp.uid('rt_alice'), pg_temp.h('other-login'),
                  '22222222-2222-2222-2222-222222222222', interval '7 days')$$, 'issue a token of a second login');

-- rotation
SELECT is(api.rotate_refresh_token(pg_temp.h('t1'), pg_temp.h('t2'), interval '7 days'), pg_temp.uid('rt_alice'),
          'rotating a valid token returns the user id');
SELECT ok((pg_temp.tok('t1')).used_at IS NOT NULL, 'the old token is marked used');
SELECT ok((pg_temp.tok('t1')).revoked_at IS NULL, 'the old token is not revoked by a normal rotation');
SELECT is((pg_temp.tok('t2')).family_id, '11111111-1111-1111-1111-111111111111'::uuid, 'the new token joins the same family');
SELECT is((pg_temp.tok('t2')).user_id, pg_temp.uid('rt_alice'), 'the new token belongs to the same user');
SELECT is((pg_temp.tok('t2')).expires_at, now() + interval '7 days', 'the new token expires after the ttl');
SELECT ok((pg_temp.tok('t2')).used_at IS NULL AND (pg_temp.tok('t2')).revoked_at IS NULL, 'the new token is live');
SELECT is(api.rotate_refresh_token(pg_temp.h('t2'), pg_temp.h('t3'), interval '7 days'), pg_temp.uid('rt_alice'),
          'rotating the new token works too');

-- reuse of a used token = theft: NULL, whole family revoked (newest included), no exception
SELECT is(api.rotate_refresh_token(pg_temp.h('t1'), pg_temp.h('t4'), interval '7 days'), NULL::bigint,
          'reusing a used token returns NULL');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens
            WHERE family_id = '11111111-1111-1111-1111-111111111111' AND revoked_at IS NULL), 0,
          'every token of the family is revoked');
SELECT ok((pg_temp.tok('t3')).revoked_at IS NOT NULL, 'including the newest token');
SELECT is((pg_temp.tok('t4')).token_hash, NULL, 'no token is stored for the reuse attempt');
SELECT is(api.rotate_refresh_token(pg_temp.h('t3'), pg_temp.h('t5'), interval '7 days'), NULL::bigint,
          'the newest token no longer rotates');
SELECT is((pg_temp.tok('t5')).token_hash, NULL, 'and stores nothing');
SELECT ok((pg_temp.tok('other-login')).revoked_at IS NULL AND (pg_temp.tok('other-login')).used_at IS NULL,
          'the user''s other login is untouched');
SELECT is(api.rotate_refresh_token(pg_temp.h('other-login'), pg_temp.h('other-2'), interval '7 days'), pg_temp.uid('rt_alice'),
          'and still rotates');

-- unknown / expired / revoked / inactive user -> NULL
SELECT is(api.rotate_refresh_token(pg_temp.h('never-issued'), pg_temp.h('x1'), interval '7 days'), NULL::bigint,
          'unknown token -> NULL');
SELECT is((pg_temp.tok('x1')).token_hash, NULL, 'nothing stored for an unknown token');
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, created_at, expires_at)
VALUES (pg_temp.h('expired'), pg_temp.uid('rt_bob'), '33333333-3333-3333-3333-333333333333',
        now() - interval '8 days', now() - interval '1 second'),
       (pg_temp.h('bob-live'), pg_temp.uid('rt_bob'), '33333333-3333-3333-3333-333333333333', now(), now() + interval '1 day');
SELECT is(api.rotate_refresh_token(pg_temp.h('expired'), pg_temp.h('x2'), interval '7 days'), NULL::bigint,
          'expired token -> NULL');
SELECT is((pg_temp.tok('x2')).token_hash, NULL, 'nothing stored for an expired token');
SELECT ok((pg_temp.tok('expired')).used_at IS NULL, 'the expired token is not marked used');
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, expires_at, revoked_at)
VALUES (pg_temp.h('revoked'), pg_temp.uid('rt_bob'), '44444444-4444-4444-4444-444444444444', now() + interval '1 day', now());
SELECT is(api.rotate_refresh_token(pg_temp.h('revoked'), pg_temp.h('x3'), interval '7 days'), NULL::bigint,
          'revoked (unused) token -> NULL');
SELECT is((pg_temp.tok('x3')).token_hash, NULL, 'nothing stored for a revoked token');
SELECT lives_ok($$SELECT api.issue_refresh_token(pg_temp.uid('rt_idle'), pg_temp.h('idle'),
                  '55555555-5555-5555-5555-555555555555', interval '1 day')$$, 'issue a token to an inactive user');
SELECT is(api.rotate_refresh_token(pg_temp.h('idle'), pg_temp.h('x4'), interval '7 days'), NULL::bigint,
          'token of an inactive user -> NULL');
SELECT is((pg_temp.tok('x4')).token_hash, NULL, 'nothing stored for an inactive user');

-- logout: revoke_refresh_family
SELECT is(api.revoke_refresh_family(pg_temp.h('bob-live'), pg_temp.uid('rt_alice')), false,
          'someone else''s token -> false');
SELECT ok((pg_temp.tok('bob-live')).revoked_at IS NULL, 'and nothing is revoked');
SELECT is(api.revoke_refresh_family(pg_temp.h('never-issued'), pg_temp.uid('rt_bob')), false, 'unknown token -> false');
SELECT lives_ok($$SELECT api.issue_refresh_token(pg_temp.uid('rt_bob'), pg_temp.h('bob-other'),
                  '66666666-6666-6666-6666-666666666666', interval '1 day')$$, 'bob has a second login');
SELECT is(api.revoke_refresh_family(pg_temp.h('bob-live'), pg_temp.uid('rt_bob')), true, 'own token -> true');
SELECT is((SELECT count(*)::int FROM social.refresh_tokens
            WHERE family_id = '33333333-3333-3333-3333-333333333333' AND revoked_at IS NULL), 0,
          'the whole family is revoked (the expired sibling too)');
SELECT is(api.rotate_refresh_token(pg_temp.h('bob-live'), pg_temp.h('x5'), interval '7 days'), NULL::bigint,
          'a logged-out token no longer rotates');
SELECT ok((pg_temp.tok('bob-other')).revoked_at IS NULL, 'the other login of the user stays live');
SELECT is(api.rotate_refresh_token(pg_temp.h('bob-other'), pg_temp.h('bob-other-2'), interval '1 day'), pg_temp.uid('rt_bob'),
          'and still rotates');
SELECT is(api.revoke_refresh_family(pg_temp.h('bob-other'), pg_temp.uid('rt_bob')), true,
          'logout with an already used token of the family still revokes the family');
SELECT ok((pg_temp.tok('bob-other-2')).revoked_at IS NOT NULL, 'the family''s newest token is revoked');

SELECT * FROM finish();
ROLLBACK;
