-- Revision 1.2's people: counts on the user, the session user's separated set, lookup by
-- username, follower and following lists, search; blocks on each.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(18);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.names(p json) RETURNS text[] LANGUAGE sql AS
$$ SELECT coalesce(array_agg(e->>'username' ORDER BY n), ARRAY[]::text[]) FROM json_array_elements(p) WITH ORDINALITY AS t(e, n) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('pf_ann', 'pf_ann@example.com', 'h', true),
       ('pf_annie', 'pf_annie@example.com', 'h', true),
       ('pf_an', 'pf_an@example.com', 'h', true),
       ('PF_Bob', 'pf_bob@example.com', 'h', true),
       ('pf_cat', 'pf_cat@example.com', 'h', true);
SELECT api.follow_user(pg_temp.uid('pf_annie'), pg_temp.uid('pf_ann'));
SELECT api.follow_user(pg_temp.uid('PF_Bob'), pg_temp.uid('pf_ann'));
UPDATE social.followers SET created_at = now() - interval '1 minute'
 WHERE follower_id = pg_temp.uid('pf_annie');
SELECT api.follow_user(pg_temp.uid('pf_ann'), pg_temp.uid('pf_cat'));
SELECT api.create_post(pg_temp.uid('pf_ann'), 'pf post', 'c', NULL);

-- counts
SELECT is((SELECT user_json::jsonb - 'created_at' - 'id' - 'email' FROM api.get_session_user(pg_temp.uid('pf_ann'))),
          '{"username": "pf_ann", "is_active": true, "role": {"id": 1, "name": "user", "level": 1},
            "followers_count": 2, "following_count": 1, "posts_count": 1}'::jsonb,
          'the session user carries its counts');
SELECT is((SELECT separated FROM api.get_session_user(pg_temp.uid('pf_ann'))), '{}'::bigint[], 'nobody separated yet');

-- lists
SELECT is(pg_temp.names(api.list_followers(pg_temp.uid('pf_cat'), pg_temp.uid('pf_ann'), 20)->'page'),
          ARRAY['PF_Bob', 'pf_annie'], 'followers, newest follow first');
SELECT is(pg_temp.names(api.list_following(pg_temp.uid('pf_cat'), pg_temp.uid('pf_ann'), 20)->'page'),
          ARRAY['pf_cat'], 'following');
SELECT is((api.list_followers(pg_temp.uid('pf_cat'), pg_temp.uid('pf_ann'), 1)->'after'->>'id')::bigint,
          pg_temp.uid('PF_Bob'), 'a full page names the position after it');
SELECT throws_ok(format('SELECT api.list_followers(%s, -1, 20)', pg_temp.uid('pf_cat')),
                 'SN404', 'user not found', 'followers of nobody -> SN404');

-- by username
SELECT is(api.get_user_by_username(pg_temp.uid('pf_cat'), 'pf_bob')->>'username', 'PF_Bob',
          'by username, without regard to case');
SELECT throws_ok(format('SELECT api.get_user_by_username(%s, ''nobody_here'')', pg_temp.uid('pf_cat')),
                 'SN404', 'user not found', 'an unknown name -> SN404');

-- search: an exact match first, then shorter names, then alphabetical; the caller too
SELECT is(pg_temp.names(api.search_users(pg_temp.uid('pf_ann'), 'PF_AN', 20)),
          ARRAY['pf_an', 'pf_ann', 'pf_annie'], 'exact match, then shorter, then alphabetical');
SELECT is(pg_temp.names(api.search_users(pg_temp.uid('pf_ann'), 'pf_ann', 20)),
          ARRAY['pf_ann', 'pf_annie'], 'the caller is in its own results');
SELECT ok(NOT (api.search_users(pg_temp.uid('pf_ann'), 'pf_', 20)->0)::jsonb ? 'email', 'no email in results');
SELECT is(pg_temp.names(api.search_users(pg_temp.uid('pf_ann'), 'pf\_%', 20)), ARRAY[]::text[],
          '% and \ are plain characters');
SELECT throws_ok(format('SELECT api.search_users(%s, '''', 20)', pg_temp.uid('pf_ann')),
                 'SN400', 'q must be 1 to 100 characters', 'an empty q -> SN400');

-- a block, on each
SELECT api.block_user(pg_temp.uid('pf_ann'), pg_temp.uid('PF_Bob'));
SELECT is((SELECT separated FROM api.get_session_user(pg_temp.uid('PF_Bob'))), ARRAY[pg_temp.uid('pf_ann')],
          'the blocked user''s session carries the blocker');
SELECT throws_ok(format('SELECT api.get_user_by_username(%s, ''pf_ann'')', pg_temp.uid('PF_Bob')),
                 'SN404', 'user not found', 'by username across a block -> SN404');
SELECT throws_ok(format('SELECT api.list_followers(%s, %s, 20)', pg_temp.uid('PF_Bob'), pg_temp.uid('pf_ann')),
                 'SN404', 'user not found', 'the blocker''s followers across the block -> SN404');
SELECT is(pg_temp.names(api.search_users(pg_temp.uid('PF_Bob'), 'pf_an', 20)), ARRAY['pf_an', 'pf_annie'],
          'the blocker leaves the blocked user''s search results');
SELECT is(pg_temp.names(api.list_following(pg_temp.uid('PF_Bob'), pg_temp.uid('pf_annie'), 20)->'page'),
          ARRAY[]::text[], 'and a third user''s lists as the blocked user reads them');

SELECT * FROM finish();
ROLLBACK;
