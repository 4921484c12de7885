-- api.get_session_user: the user json (as api.get_user) and the token epoch beside it; SN404.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(7);

INSERT INTO social.users (username, email, password_hash, is_active, role_id, token_epoch)
VALUES ('gsu_alice', 'gsu_alice@example.com', 'h', true, 2, 3);
CREATE TEMP TABLE gsu AS SELECT id FROM social.users WHERE username = 'gsu_alice';

SELECT is((SELECT user_json::jsonb FROM api.get_session_user((SELECT id FROM gsu))),
          api.get_user((SELECT id FROM gsu))::jsonb, 'user_json is the user as api.get_user shows it');
SELECT ok(NOT (SELECT user_json::jsonb ? 'token_epoch' FROM api.get_session_user((SELECT id FROM gsu))),
          'the epoch is not in the user json');
SELECT ok(NOT (SELECT user_json::jsonb ? 'password_hash' FROM api.get_session_user((SELECT id FROM gsu))),
          'no password hash in the user json');
SELECT is((SELECT token_epoch FROM api.get_session_user((SELECT id FROM gsu))), 3, 'token_epoch is the user''s');
SELECT is((SELECT count(*)::int FROM api.get_session_user((SELECT id FROM gsu))), 1, 'one row');
SELECT throws_ok('SELECT * FROM api.get_session_user(-1)', 'SN404', 'user not found', 'missing user -> SN404');
DELETE FROM social.users WHERE id = (SELECT id FROM gsu);
SELECT throws_ok(format('SELECT * FROM api.get_session_user(%s)', (SELECT id FROM gsu)), 'SN404', 'user not found',
                 'deleted user -> SN404');

SELECT * FROM finish();
ROLLBACK;
