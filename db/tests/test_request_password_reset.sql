-- api.request_password_reset: active accounts only, case-insensitive email, one live token per
-- user (a newer request replaces the older), nothing for unknown or inactive addresses.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.h(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(md5(p), 'hex') $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('rpr_alice', 'RPR_Alice@Example.com', 'h', true),
       ('rpr_idle', 'rpr_idle@example.com', 'h', false);

-- an active account, addressed in another case
SELECT results_eq(
    $$SELECT username, email, expires_at FROM api.request_password_reset('rpr_alice@example.COM', pg_temp.h('r1'), interval '1 hour')$$,
    $$VALUES ('rpr_alice'::text, 'RPR_Alice@Example.com'::text, now() + interval '1 hour')$$,
    'an active account: its username, its email as stored and the expiry');
SELECT is((SELECT token_hash FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_alice')), pg_temp.h('r1'),
          'the token hash is stored for the user');
SELECT is((SELECT expires_at FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_alice')), now() + interval '1 hour',
          'expires after the ttl');

-- a newer request replaces the older token
SELECT is((SELECT count(*)::int FROM api.request_password_reset('RPR_alice@example.com', pg_temp.h('r2'), interval '2 hours')), 1,
          'a second request answers the account again');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_alice')), 1,
          'still one token for the user');
SELECT is((SELECT token_hash FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_alice')), pg_temp.h('r2'),
          'the newer token replaced the older one');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE token_hash = pg_temp.h('r1')), 0,
          'the older token is gone');
SELECT is((SELECT expires_at FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_alice')), now() + interval '2 hours',
          'with the newer expiry');

-- unknown and inactive addresses: no row, nothing stored
SELECT is((SELECT count(*)::int FROM api.request_password_reset('nobody@example.com', pg_temp.h('r3'), interval '1 hour')), 0,
          'an unknown address: no row');
SELECT is((SELECT count(*)::int FROM api.request_password_reset('rpr_idle@example.com', pg_temp.h('r4'), interval '1 hour')), 0,
          'an inactive account: no row');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE token_hash IN (pg_temp.h('r3'), pg_temp.h('r4'))), 0,
          'nothing stored for them');
SELECT lives_ok($$SELECT * FROM api.request_password_reset(NULL, pg_temp.h('r5'), interval '1 hour')$$,
                'a NULL address raises nothing');
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE user_id = pg_temp.uid('rpr_idle')), 0,
          'the inactive account has no token');

-- a user deleted: its token goes with it
DELETE FROM social.users WHERE username = 'rpr_alice';
SELECT is((SELECT count(*)::int FROM social.password_resets WHERE token_hash = pg_temp.h('r2')), 0,
          'deleting the user deletes its token');

SELECT * FROM finish();
ROLLBACK;
