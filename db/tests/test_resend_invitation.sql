-- api.resend_invitation: a never-activated account only; its older invitations replaced; every
-- call counted against the login throttle of the address.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(16);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, suspended_at)
VALUES ('ri_new', 'RI_New@example.com', 'h', false, NULL),
       ('ri_active', 'ri_active@example.com', 'h', true, NULL),
       ('ri_suspended', 'ri_suspended@example.com', 'h', false, now());
INSERT INTO social.invitations (token_hash, user_id, expires_at)
VALUES ('\x01', pg_temp.uid('ri_new'), now() + interval '1 day'),
       ('\x02', pg_temp.uid('ri_new'), now() - interval '1 day');

SELECT results_eq(
    $$SELECT retry_after, username, email, expires_at FROM api.resend_invitation('ri_new@EXAMPLE.com', '\x03', interval '3 days', 5, interval '15 minutes')$$,
    $$VALUES (0, 'ri_new'::text, 'RI_New@example.com'::text, now() + interval '3 days')$$,
    'an inactive account (email in any case): its username, stored email and new expiry');
SELECT results_eq(
    $$SELECT token_hash FROM social.invitations WHERE user_id = pg_temp.uid('ri_new')$$,
    $$VALUES ('\x03'::bytea)$$,
    'the new invitation replaces every older one (live or expired)');
SELECT is((SELECT expires_at FROM social.invitations WHERE token_hash = '\x03'),
          now() + interval '3 days', 'it expires after p_ttl');
SELECT throws_ok($$SELECT api.activate_user('\x01')$$, 'SN404', NULL, 'an older link no longer activates');
SELECT lives_ok($$SELECT api.activate_user('\x03')$$, 'the new link activates');

SELECT results_eq($$SELECT * FROM api.resend_invitation('ri_new@example.com', '\x04', interval '1 day', 5, interval '15 minutes')$$,
                $$VALUES (0, NULL::text, NULL::text, NULL::timestamptz)$$,
                'once activated: nothing');
SELECT results_eq($$SELECT * FROM api.resend_invitation('ri_active@example.com', '\x05', interval '1 day', 5, interval '15 minutes')$$,
                $$VALUES (0, NULL::text, NULL::text, NULL::timestamptz)$$,
                'an active account: nothing');
SELECT results_eq($$SELECT * FROM api.resend_invitation('ri_suspended@example.com', '\x06', interval '1 day', 5, interval '15 minutes')$$,
                $$VALUES (0, NULL::text, NULL::text, NULL::timestamptz)$$,
                'a suspended account: nothing (it may not reactivate itself)');
SELECT results_eq($$SELECT * FROM api.resend_invitation('ri_nobody@example.com', '\x07', interval '1 day', 5, interval '15 minutes')$$,
                $$VALUES (0, NULL::text, NULL::text, NULL::timestamptz)$$,
                'an unknown address: nothing, and no error');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE token_hash IN ('\x04', '\x05', '\x06', '\x07')), 0,
          'none of those stored an invitation');

-- The login throttle: counted for every address, known or not; past the limit nothing is done.
SELECT is((SELECT failures FROM social.login_failures WHERE email = 'ri_new@example.com'), 2,
          'each call counted one attempt for the address (lower-cased)');
SELECT is((SELECT failures FROM social.login_failures WHERE email = 'ri_nobody@example.com'), 1,
          'an unknown address is counted too');
INSERT INTO social.users (username, email, password_hash) VALUES ('ri_flood', 'ri_flood@example.com', 'h');
SELECT is((SELECT count(*)::int FROM generate_series(1, 5) g,
                  api.resend_invitation('ri_flood@example.com', ('\x1' || g)::bytea, interval '1 day', 5, interval '15 minutes') r
            WHERE r.retry_after = 0 AND r.username = 'ri_flood'), 5, 'five attempts within the limit: five invitations');
SELECT ok((SELECT retry_after BETWEEN 1 AND 900 AND username IS NULL
             FROM api.resend_invitation('ri_flood@example.com', '\x20', interval '1 day', 5, interval '15 minutes')),
          'the sixth: the seconds to wait, and nothing to send');
SELECT results_eq($$SELECT token_hash FROM social.invitations WHERE user_id = pg_temp.uid('ri_flood')$$,
                  $$VALUES ('\x15'::bytea)$$, 'the throttled call left the last invitation as it was');

-- The schema itself keeps a suspended account inactive.
SELECT throws_ok($$UPDATE social.users SET is_active = true WHERE username = 'ri_suspended'$$, '23514', NULL,
                 'a suspended account cannot be made active (users_suspended_inactive)');

SELECT * FROM finish();
ROLLBACK;
