-- api.activate_user: single use, expiry, unknown token.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(19);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

DO $$
DECLARE
    v_exp bigint;
BEGIN
    PERFORM api.register_user('act_alice', 'act_alice@example.com', 'h', decode(md5('act-alice'), 'hex'), interval '3 days');
    PERFORM api.register_user('act_bob', 'act_bob@example.com', 'h', decode(md5('act-bob'), 'hex'), interval '3 days');
    -- a second, older invitation for bob (e.g. a resend): activation removes all of them
    INSERT INTO social.invitations (token_hash, user_id, expires_at)
    VALUES (decode(md5('act-bob-2'), 'hex'), pg_temp.uid('act_bob'), now() + interval '1 day');
    -- expired invitation
    INSERT INTO social.users (username, email, password_hash) VALUES ('act_expired', 'act_expired@example.com', 'h')
    RETURNING id INTO v_exp;
    INSERT INTO social.invitations (token_hash, user_id, expires_at)
    VALUES (decode(md5('act-expired'), 'hex'), v_exp, now() - interval '1 second');
END $$;

-- happy path
SELECT is(api.activate_user(decode(md5('act-alice'), 'hex')), pg_temp.uid('act_alice'),
          'activate_user returns the user id');
SELECT ok((SELECT is_active FROM social.users WHERE username = 'act_alice'), 'user is active afterwards');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE user_id = pg_temp.uid('act_alice')), 0,
          'the invitation is deleted');
SELECT is((api.get_user(pg_temp.uid('act_alice'))->>'is_active')::boolean, true, 'get_user shows is_active true');
SELECT ok(NOT (SELECT is_active FROM social.users WHERE username = 'act_bob'), 'other users are untouched');

-- single use
SELECT throws_ok($$SELECT api.activate_user(decode(md5('act-alice'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'a used token -> SN404');
SELECT ok((SELECT is_active FROM social.users WHERE username = 'act_alice'), 'user stays active after the failed reuse');

-- every invitation of the user goes
SELECT is(api.activate_user(decode(md5('act-bob-2'), 'hex')), pg_temp.uid('act_bob'),
          'any live invitation of the user activates it');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE user_id = pg_temp.uid('act_bob')), 0,
          'all invitations of the activated user are deleted');
SELECT throws_ok($$SELECT api.activate_user(decode(md5('act-bob'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'the other invitation of an activated user no longer works');

-- expiry
SELECT throws_ok($$SELECT api.activate_user(decode(md5('act-expired'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'an expired token -> SN404');
SELECT ok(NOT (SELECT is_active FROM social.users WHERE username = 'act_expired'), 'user with expired invitation stays inactive');
SELECT is((SELECT count(*)::int FROM social.invitations WHERE user_id = pg_temp.uid('act_expired')), 1,
          'a failed activation changes no invitation');

-- unknown
SELECT throws_ok($$SELECT api.activate_user(decode(md5('no-such-token'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'an unknown token -> SN404');
SELECT throws_ok($$SELECT api.activate_user(NULL)$$, 'SN404', NULL, 'a NULL token -> SN404');

-- registered with a negative ttl: already expired
SELECT lives_ok($$SELECT api.register_user('act_neg', 'act_neg@example.com', 'h', decode(md5('act-neg'), 'hex'), interval '-1 minute')$$,
    'register with an already elapsed ttl');
SELECT throws_ok($$SELECT api.activate_user(decode(md5('act-neg'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'its token is expired -> SN404');

-- a user deleted before activation: its invitation went with it
SELECT lives_ok($$SELECT api.delete_user((api.register_user('act_gone', 'act_gone@example.com', 'h',
                                               decode(md5('act-gone'), 'hex'), interval '3 days')->>'id')::bigint)$$,
    'register then delete a user');
SELECT throws_ok($$SELECT api.activate_user(decode(md5('act-gone'), 'hex'))$$,
    'SN404', 'invitation not found or expired', 'the deleted user''s token -> SN404');

SELECT * FROM finish();
ROLLBACK;
