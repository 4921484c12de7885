-- api.block_user / unblock_user / mute_user / unmute_user / list_blocks / list_mutes /
-- get_relationship, and follows across a block.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(27);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.rel(a text, b text) RETURNS json LANGUAGE sql AS
$$ SELECT api.get_relationship(pg_temp.uid(a), pg_temp.uid(b)) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('bm_ann', 'bm_ann@example.com', 'h', true),
       ('bm_ben', 'bm_ben@example.com', 'h', true),
       ('bm_cat', 'bm_cat@example.com', 'h', true);

SELECT api.follow_user(pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben'));
SELECT api.follow_user(pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann'));
SELECT is(pg_temp.rel('bm_ann', 'bm_ben')::text,
          '{"following":true,"followed_by":true,"blocking":false,"blocked_by":false,"muting":false}',
          'relationship before: following both ways');

-- block
SELECT throws_ok(format('SELECT api.block_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ann')),
                 'SN400', 'you cannot block yourself', 'blocking oneself -> SN400');
SELECT throws_ok(format('SELECT api.block_user(%s, -1)', pg_temp.uid('bm_ann')),
                 'SN404', 'user not found', 'blocking a missing user -> SN404');
SELECT lives_ok(format('SELECT api.block_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                'ann blocks ben');
SELECT is((SELECT count(*)::int FROM social.followers
            WHERE pg_temp.uid('bm_ann') IN (user_id, follower_id)
              AND pg_temp.uid('bm_ben') IN (user_id, follower_id)), 0,
          'the block ended the follows both ways');
SELECT is(pg_temp.rel('bm_ann', 'bm_ben')::text,
          '{"following":false,"followed_by":false,"blocking":true,"blocked_by":false,"muting":false}',
          'the blocker sees blocking');
SELECT is(pg_temp.rel('bm_ben', 'bm_ann')::text,
          '{"following":false,"followed_by":false,"blocking":false,"blocked_by":true,"muting":false}',
          'the blocked user sees blocked_by');
SELECT ok(social.separated(pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben'))
          AND social.separated(pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann')), 'separated both ways');
SELECT throws_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann')),
                 'SN404', 'user not found', 'the blocked user cannot follow the blocker');
SELECT throws_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                 'SN404', 'user not found', 'nor the blocker the blocked user');
SELECT throws_ok(format('SELECT api.unfollow_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                 'SN404', 'user not found', 'an unfollow across the block -> SN404');
SELECT lives_ok(format('SELECT api.block_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                'blocking again is no error');
SELECT is((SELECT count(*)::int FROM social.blocks WHERE blocker_id = pg_temp.uid('bm_ann')), 1,
          'and keeps one block');

-- lists, newest first, with the position after a full page
SELECT api.block_user(pg_temp.uid('bm_ann'), pg_temp.uid('bm_cat'));
UPDATE social.blocks SET created_at = now() + interval '1 second'
 WHERE blocker_id = pg_temp.uid('bm_ann') AND blocked_id = pg_temp.uid('bm_cat');
SELECT is((api.list_blocks(pg_temp.uid('bm_ann'), 20)->'page')::text,
          format('[{"id":%s,"username":"bm_cat"},{"id":%s,"username":"bm_ben"}]',
                 pg_temp.uid('bm_cat'), pg_temp.uid('bm_ben')),
          'list_blocks: newest first');
SELECT is(api.list_blocks(pg_temp.uid('bm_ann'), 20)->>'after', NULL, 'a short page has no after');
SELECT is((api.list_blocks(pg_temp.uid('bm_ann'), 1)->'after'->>'id')::bigint, pg_temp.uid('bm_cat'),
          'a full page gives the position after its last item');
SELECT is((api.list_blocks(pg_temp.uid('bm_ann'), 1,
                           (SELECT created_at FROM social.blocks
                             WHERE blocker_id = pg_temp.uid('bm_ann') AND blocked_id = pg_temp.uid('bm_cat')),
                           pg_temp.uid('bm_cat'))->'page')::text,
          format('[{"id":%s,"username":"bm_ben"}]', pg_temp.uid('bm_ben')),
          'the page after the cursor');
SELECT throws_ok(format('SELECT api.list_blocks(%s, 101)', pg_temp.uid('bm_ann')),
                 'SN400', 'limit must be between 1 and 100', 'limit bound');
SELECT throws_ok(format('SELECT api.list_blocks(%s, 5, now(), NULL)', pg_temp.uid('bm_ann')),
                 'SN400', 'a cursor needs both its time and its id', 'a cursor is whole');

-- unblock restores visibility, not the follows
SELECT lives_ok(format('SELECT api.unblock_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                'ann unblocks ben');
SELECT is(pg_temp.rel('bm_ann', 'bm_ben')::text,
          '{"following":false,"followed_by":false,"blocking":false,"blocked_by":false,"muting":false}',
          'after the unblock: no block, and the follows are not back');
SELECT lives_ok(format('SELECT api.follow_user(%s, %s)', pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann')),
                'following works again');

-- mutes: one way
SELECT throws_ok(format('SELECT api.mute_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ann')),
                 'SN400', 'you cannot mute yourself', 'muting oneself -> SN400');
SELECT lives_ok(format('SELECT api.mute_user(%s, %s)', pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                'ann mutes ben');
SELECT ok(social.muting(pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben'))
          AND NOT social.muting(pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann')), 'a mute is one way');
SELECT is((api.list_mutes(pg_temp.uid('bm_ann'), 20)->'page'->0->>'username'), 'bm_ben', 'list_mutes');
SELECT lives_ok(format('SELECT api.unmute_user(%s, %s); SELECT api.unmute_user(%s, %s)',
                       pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben'), pg_temp.uid('bm_ann'), pg_temp.uid('bm_ben')),
                'unmuting twice is no error');

SELECT * FROM finish();
ROLLBACK;
