-- api.follow_user / api.unfollow_user.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(17);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
-- This file's follows only: the database may hold others (seeded, or left by other tests).
CREATE TEMP VIEW fo_followers AS
    SELECT f.* FROM social.followers f JOIN social.users u ON u.id = f.follower_id
     WHERE u.username LIKE 'fo\_%';

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('fo_alice', 'fo_alice@example.com', 'h', true),
       ('fo_bob', 'fo_bob@example.com', 'h', true),
       ('fo_carol', 'fo_carol@example.com', 'h', true);

-- follow: happy path
SELECT lives_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('fo_alice'), pg_temp.uid('fo_bob')),
                'alice follows bob');
SELECT results_eq(
    'SELECT user_id, follower_id FROM fo_followers ORDER BY 1, 2',
    format('VALUES (%s::bigint, %s::bigint)', pg_temp.uid('fo_bob'), pg_temp.uid('fo_alice')),
    'followers row: user_id = the followed user, follower_id = who follows');
SELECT is((SELECT created_at FROM social.followers WHERE follower_id = pg_temp.uid('fo_alice')), now(),
          'created_at set');
SELECT lives_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('fo_bob'), pg_temp.uid('fo_alice')),
                'the reverse follow is a distinct relation');

-- follow: error paths
SELECT throws_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('fo_alice'), pg_temp.uid('fo_bob')),
                 'SN409', 'already following', 'following twice -> SN409');
SELECT throws_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('fo_carol'), pg_temp.uid('fo_carol')),
                 'SN400', 'you cannot follow yourself', 'following yourself -> SN400');
SELECT throws_ok('SELECT api.follow_user(-5, -5)',
                 'SN400', 'you cannot follow yourself', 'self-follow is checked before existence -> SN400');
SELECT throws_ok(format('SELECT api.follow_user(%s, -1)', pg_temp.uid('fo_carol')),
                 'SN404', 'user not found', 'following a missing user -> SN404');
SELECT is((SELECT count(*)::int FROM social.followers WHERE follower_id = pg_temp.uid('fo_carol')), 0,
          'failed follows store nothing');
SELECT is((SELECT count(*)::int FROM fo_followers), 2, 'exactly the two successful follows are stored');

-- unfollow: happy path
SELECT lives_ok(format('SELECT api.unfollow_user(%s, %s)', pg_temp.uid('fo_alice'), pg_temp.uid('fo_bob')),
                'alice unfollows bob');
SELECT is((SELECT count(*)::int FROM social.followers
            WHERE user_id = pg_temp.uid('fo_bob') AND follower_id = pg_temp.uid('fo_alice')), 0,
          'the relation is gone');
SELECT is((SELECT count(*)::int FROM social.followers
            WHERE user_id = pg_temp.uid('fo_alice') AND follower_id = pg_temp.uid('fo_bob')), 1,
          'the reverse relation stays');
SELECT lives_ok(format('SELECT api.unfollow_user(%s, %s)', pg_temp.uid('fo_alice'), pg_temp.uid('fo_bob')),
                'unfollowing when not following is no error');
SELECT lives_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('fo_alice'), pg_temp.uid('fo_bob')),
                'following again after unfollowing works');

-- unfollow: error path
SELECT throws_ok(format('SELECT api.unfollow_user(%s, -1)', pg_temp.uid('fo_alice')),
                 'SN404', NULL, 'unfollowing a missing user -> SN404');
SELECT is((SELECT count(*)::int FROM fo_followers), 2, 'follow set is as expected at the end');

SELECT * FROM finish();
ROLLBACK;
