-- Login throttling per account: api.login_attempt counts attempts per lowercased email and
-- answers the seconds until the window passes once over the limit; api.login_succeeded clears;
-- api.purge_login_failures removes passed windows.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(19);

DELETE FROM social.login_failures;  -- rolled back at the end, so the counts are exact

SELECT is(ARRAY(SELECT api.login_attempt('LT@Example.com', 5, interval '900 seconds') FROM generate_series(1, 5)),
          ARRAY[0, 0, 0, 0, 0], 'five attempts in the window may go on');
SELECT is(api.login_attempt('lt@example.COM', 5, interval '900 seconds'), 900,
          'the sixth, any case, is throttled for the seconds left in the window');
SELECT results_eq($$SELECT email, failures, window_ends FROM social.login_failures$$,
                  $$VALUES ('lt@example.com'::text, 6, now() + interval '900 seconds')$$,
                  'one row per lowercased email; the window runs from the first attempt');
SELECT is(api.login_attempt('lt@example.com', 5, interval '900 seconds'), 900, 'and so is the seventh');
SELECT is((SELECT failures FROM social.login_failures WHERE email = 'lt@example.com'), 6,
          'throttled attempts do not grow the count past the limit + 1');
SELECT is(api.login_attempt('other@example.com', 5, interval '900 seconds'), 0, 'another email is counted apart');

-- seconds left are rounded up, at least 1
UPDATE social.login_failures SET window_ends = now() + interval '10.2 seconds' WHERE email = 'lt@example.com';
SELECT is(api.login_attempt('lt@example.com', 5, interval '900 seconds'), 11, 'seconds left are rounded up');
UPDATE social.login_failures SET window_ends = now() + interval '1 millisecond' WHERE email = 'lt@example.com';
SELECT is(api.login_attempt('lt@example.com', 5, interval '900 seconds'), 1, 'at least 1 second');

-- the window passed: counting starts again
UPDATE social.login_failures SET window_ends = now() WHERE email = 'lt@example.com';
SELECT is(api.login_attempt('lt@example.com', 5, interval '900 seconds'), 0, 'after the window an attempt may go on');
SELECT results_eq($$SELECT failures, window_ends FROM social.login_failures WHERE email = 'lt@example.com'$$,
                  $$VALUES (1, now() + interval '900 seconds')$$, 'a new window of one attempt');

-- a success clears the count
SELECT lives_ok($$SELECT api.login_succeeded('LT@example.com')$$, 'login_succeeded, any case');
SELECT is((SELECT count(*)::int FROM social.login_failures WHERE email = 'lt@example.com'), 0, 'clears the email''s count');
SELECT lives_ok($$SELECT api.login_succeeded('never@example.com')$$, 'an email without a count is fine');

-- bad arguments
SELECT throws_ok($$SELECT api.login_attempt(NULL, 5, interval '1 second')$$, 'SN400', NULL, 'no email is SN400');
SELECT throws_ok($$SELECT api.login_attempt('x@example.com', 0, interval '1 second')$$, 'SN400', NULL, 'a limit of 0 is SN400');
SELECT throws_ok($$SELECT api.login_attempt('x@example.com', 5, interval '0')$$, 'SN400', NULL, 'an empty window is SN400');

-- the sweep
INSERT INTO social.login_failures (email, failures, window_ends)
VALUES ('gone@example.com', 3, now() - interval '1 second'), ('ends-now@example.com', 5, now());
SELECT is(api.purge_login_failures(), 2, 'purge removes the passed windows and says how many');
SELECT is(ARRAY(SELECT email FROM social.login_failures ORDER BY email), ARRAY['other@example.com'],
          'windows still running are kept');
SELECT is(api.purge_login_failures(), 0, 'a second run removes nothing');

SELECT * FROM finish();
ROLLBACK;
