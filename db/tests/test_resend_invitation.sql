-- api.resend_invitation: a never-activated account only; its older invitations replaced.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(11);

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
    $$SELECT username, email, expires_at FROM api.resend_invitation('ri_new@EXAMPLE.com', '\x03', interval '3 days')$$,
    $$VALUES ('ri_new'::text, 'RI_New@example.com'::text, now() + interval '3 days')$$,
    'an inactive account (email in any case): its username, stored email and new expiry');
SELECT results_eq(
    $$SELECT token_hash FROM social.invitations WHERE user_id = pg_temp.uid('ri_new')$$,
    $$VALUES ('\x03'::bytea)$$,
    'the new invitation replaces every older one (live or expired)');
SELECT is((SELECT expires_at FROM social.invitations WHERE token_hash = '\x03'),
          now() + interval '3 days', 'it expires after p_ttl');
SELECT throws_ok($$SELECT api.activate_user('\x01')$$, 'SN404', NULL, 'an older link no longer activates');
SELECT lives_ok($$SELECT api.activate_user('\x03')$$, 'the new link activates');

SELECT is_empty($$SELECT * FROM api.resend_invitation('ri_new@example.com', '\x04', interval '1 day')$$,
                'once activated: nothing');
SELECT is_empty($$SELECT * FROM api.resend_invitation('ri_active@example.com', '\x05', interval '1 day')$$,
                'an active account: nothing');
SELECT is_empty($$SELECT * FROM api.resend_invitation('ri_suspended@example.com', '\x06', interval '1 day')$$,
                'a suspended account: nothing (it may not reactivate itself)');
SELECT is_empty($$SELECT * FROM api.resend_invitation('ri_nobody@example.com', '\x07', interval '1 day')$$,
                'an unknown address: nothing, and no error');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE token_hash IN ('\x04', '\x05', '\x06', '\x07')), 0,
          'none of those stored an invitation');

-- The schema itself keeps a suspended account inactive.
SELECT throws_ok($$UPDATE social.users SET is_active = true WHERE username = 'ri_suspended'$$, '23514', NULL,
                 'a suspended account cannot be made active (users_suspended_inactive)');

SELECT * FROM finish();
ROLLBACK;
