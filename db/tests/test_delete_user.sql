-- api.delete_user: removes the user; SN404 when missing. (Cascades: test_cascades.sql.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(6);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash)
VALUES ('du_alice', 'du_alice@example.com', 'h'), ('du_bob', 'du_bob@example.com', 'h');
CREATE TEMP TABLE du_ids AS SELECT id, username FROM social.users WHERE username IN ('du_alice', 'du_bob');

SELECT lives_ok(format('SELECT api.delete_user(%s)', pg_temp.uid('du_alice')), 'delete an existing user');
SELECT is((SELECT count(*)::int FROM social.users WHERE username = 'du_alice'), 0, 'the user is gone');
SELECT is((SELECT count(*)::int FROM social.users WHERE username = 'du_bob'), 1, 'other users stay');
SELECT throws_ok(format('SELECT api.delete_user(%s)', (SELECT id FROM du_ids WHERE username = 'du_alice')),
                 'SN404', NULL, 'deleting it again -> SN404');
SELECT throws_ok('SELECT api.delete_user(-1)', 'SN404', NULL, 'missing user -> SN404');
SELECT throws_ok(format('SELECT api.get_user(%s)', (SELECT id FROM du_ids WHERE username = 'du_alice')),
                 'SN404', 'user not found', 'get_user of the deleted user -> SN404');

SELECT * FROM finish();
ROLLBACK;
