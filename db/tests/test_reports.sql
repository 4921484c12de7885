-- api.create_report, api.list_reports, api.close_report and the suspension they lead to.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(46);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
CREATE FUNCTION pg_temp.cid(p_content text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.comments WHERE content = p_content $$;
-- A report created now, as jsonb, by reporter name and target.
CREATE FUNCTION pg_temp.report(p_by text, p_post bigint, p_comment bigint, p_user bigint, p_reason text)
RETURNS jsonb LANGUAGE sql AS
$$ SELECT api.create_report(pg_temp.uid(p_by), p_post, p_comment, p_user, p_reason)::jsonb $$;
CREATE FUNCTION pg_temp.ids(p_reader text, p_status text) RETURNS bigint[] LANGUAGE sql AS
$$ SELECT coalesce(array_agg((r->>'id')::bigint ORDER BY ord), '{}')
     FROM json_array_elements(api.list_reports(pg_temp.uid(p_reader), p_status, 100)) WITH ORDINALITY AS x(r, ord) $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id)
VALUES ('rp_alice', 'rp_alice@example.com', 'h', true, 1),
       ('rp_bob', 'rp_bob@example.com', 'h', true, 1),
       ('rp_carol', 'rp_carol@example.com', 'h', true, 1),
       ('rp_mod', 'rp_mod@example.com', 'h', true, 2),
       ('rp_admin', 'rp_admin@example.com', 'h', true, 3);
INSERT INTO social.posts (user_id, title, content)
VALUES (pg_temp.uid('rp_bob'), 'rp bad post', 'c'), (pg_temp.uid('rp_bob'), 'rp other post', 'c'),
       (pg_temp.uid('rp_mod'), 'rp mod post', 'c');
INSERT INTO social.comments (post_id, user_id, content)
VALUES (pg_temp.pid('rp other post'), pg_temp.uid('rp_carol'), 'rp bad comment');
INSERT INTO social.refresh_tokens (token_hash, user_id, family_id, expires_at)
VALUES ('\xb0bb', pg_temp.uid('rp_bob'), gen_random_uuid(), now() + interval '1 day');

-- create_report
SELECT throws_ok($$SELECT pg_temp.report('rp_alice', NULL, NULL, NULL, 'r')$$, 'SN400', NULL, 'no target -> SN400');
SELECT throws_ok(format($$SELECT pg_temp.report('rp_alice', %s, NULL, %s, 'r')$$, pg_temp.pid('rp bad post'), pg_temp.uid('rp_bob')),
                 'SN400', NULL, 'two targets -> SN400');
SELECT throws_ok($$SELECT pg_temp.report('rp_alice', -1, NULL, NULL, 'r')$$, 'SN404', 'post not found', 'missing post -> SN404');
SELECT throws_ok($$SELECT pg_temp.report('rp_alice', NULL, -1, NULL, 'r')$$, 'SN404', 'comment not found', 'missing comment -> SN404');
SELECT throws_ok($$SELECT pg_temp.report('rp_alice', NULL, NULL, -1, 'r')$$, 'SN404', 'user not found', 'missing user -> SN404');
SELECT throws_ok(format($$SELECT pg_temp.report('rp_alice', %s, NULL, NULL, '')$$, pg_temp.pid('rp bad post')),
                 '23514', NULL, 'an empty reason -> 23514');

CREATE TEMP TABLE rp AS
SELECT 'post'::text AS k, pg_temp.report('rp_alice', pg_temp.pid('rp bad post'), NULL, NULL, 'spam') AS j;
SELECT is((SELECT j - 'id' - 'created_at' FROM rp WHERE k = 'post'),
          jsonb_build_object('reporter', jsonb_build_object('id', pg_temp.uid('rp_alice'), 'username', 'rp_alice'),
                             'target', jsonb_build_object('type', 'post', 'id', pg_temp.pid('rp bad post')),
                             'reason', 'spam', 'status', 'open', 'action', NULL, 'closed_at', NULL, 'closed_by', NULL),
          'a post report: its shape, open');
SELECT throws_ok(format($$SELECT pg_temp.report('rp_alice', %s, NULL, NULL, 'again')$$, pg_temp.pid('rp bad post')),
                 'SN409', NULL, 'a second open report by the same reporter on the same target -> SN409');
INSERT INTO rp
VALUES ('post by carol', pg_temp.report('rp_carol', pg_temp.pid('rp bad post'), NULL, NULL, 'me too')),
       ('comment', pg_temp.report('rp_alice', NULL, pg_temp.cid('rp bad comment'), NULL, 'rude')),
       ('user', pg_temp.report('rp_alice', NULL, NULL, pg_temp.uid('rp_bob'), 'troll')),
       ('about mod', pg_temp.report('rp_alice', pg_temp.pid('rp mod post'), NULL, NULL, 'hm')),
       ('post 2', pg_temp.report('rp_alice', pg_temp.pid('rp other post'), NULL, NULL, 'x')),
       ('user 2', pg_temp.report('rp_carol', NULL, NULL, pg_temp.uid('rp_bob'), 'x'));
SELECT is((SELECT j->'target' FROM rp WHERE k = 'comment'),
          jsonb_build_object('type', 'comment', 'id', pg_temp.cid('rp bad comment')), 'a comment report''s target');
SELECT is((SELECT j->'target' FROM rp WHERE k = 'user'),
          jsonb_build_object('type', 'user', 'id', pg_temp.uid('rp_bob')), 'a user report''s target');
CREATE FUNCTION pg_temp.rid(p_k text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT (j->>'id')::bigint FROM rp WHERE k = p_k $$;

-- list_reports
SELECT throws_ok($$SELECT api.list_reports(pg_temp.uid('rp_alice'), 'open', 20)$$, 'SN403', NULL, 'a user -> SN403');
SELECT throws_ok($$SELECT api.list_reports(pg_temp.uid('rp_mod'), 'closed', 20)$$, 'SN400', NULL, 'unknown status -> SN400');
SELECT throws_ok($$SELECT api.list_reports(pg_temp.uid('rp_mod'), 'open', 0)$$, 'SN400', NULL, 'limit 0 -> SN400');
SELECT throws_ok($$SELECT api.list_reports(pg_temp.uid('rp_mod'), 'open', 20, now(), NULL)$$, 'SN400', NULL,
                 'half a position -> SN400');
SELECT is(pg_temp.ids('rp_admin', 'open'),
          ARRAY(SELECT pg_temp.rid(k) FROM unnest(ARRAY['post', 'post by carol', 'comment', 'user', 'about mod', 'post 2', 'user 2']) k),
          'an admin reads every open report, oldest first');
SELECT is(pg_temp.ids('rp_mod', 'open'),
          ARRAY(SELECT pg_temp.rid(k) FROM unnest(ARRAY['post', 'post by carol', 'comment', 'user', 'post 2', 'user 2']) k),
          'a moderator does not see the reports about its own content');
SELECT is((SELECT array_agg((r->>'id')::bigint)
             FROM json_array_elements(api.list_reports(pg_temp.uid('rp_mod'), 'open', 2,
                                      (SELECT (j->>'created_at')::timestamptz FROM rp WHERE k = 'comment'),
                                      pg_temp.rid('comment'))) r),
          ARRAY[pg_temp.rid('user'), pg_temp.rid('post 2')], 'a page after a position, of the limit''s length');
SELECT is(pg_temp.ids('rp_mod', 'resolved'), '{}'::bigint[], 'nothing resolved yet');

-- close_report: refusals
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_alice'), 'dismissed')$$, pg_temp.rid('post')),
                 'SN403', NULL, 'a user closing -> SN403');
SELECT throws_ok($$SELECT * FROM api.close_report(-1, pg_temp.uid('rp_alice'), 'dismissed')$$,
                 'SN403', NULL, 'a user closing a missing report -> SN403 too (nothing told)');
SELECT throws_ok($$SELECT * FROM api.close_report(-1, pg_temp.uid('rp_mod'), 'dismissed')$$, 'SN404', NULL, 'missing report -> SN404');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'open')$$, pg_temp.rid('post')),
                 'SN400', NULL, 'status open -> SN400');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'resolved', 'ban')$$, pg_temp.rid('post')),
                 'SN400', NULL, 'unknown action -> SN400');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'dismissed', 'delete_content')$$, pg_temp.rid('post')),
                 'SN400', NULL, 'an action with dismissed -> SN400');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'resolved', 'delete_content')$$, pg_temp.rid('user')),
                 'SN400', NULL, 'delete_content on a user report -> SN400');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'resolved', 'suspend_user')$$, pg_temp.rid('user')),
                 'SN403', NULL, 'suspend_user by a moderator -> SN403');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_mod'), 'dismissed')$$, pg_temp.rid('about mod')),
                 'SN403', NULL, 'a report about the moderator''s own post -> SN403');
SELECT is((SELECT count(*)::int FROM social.reports WHERE status = 'open' AND reporter_id IN (pg_temp.uid('rp_alice'), pg_temp.uid('rp_carol'))),
          7, 'refusals close nothing');

-- close_report: dismiss, delete content
SELECT is((SELECT (report::jsonb) - 'closed_at' FROM api.close_report(pg_temp.rid('post 2'), pg_temp.uid('rp_mod'), 'dismissed')),
          (SELECT j - 'closed_at' || jsonb_build_object('status', 'dismissed',
                  'closed_by', jsonb_build_object('id', pg_temp.uid('rp_mod'), 'username', 'rp_mod')) FROM rp WHERE k = 'post 2'),
          'dismissed: the report with its status and closer');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_admin'), 'resolved')$$, pg_temp.rid('post 2')),
                 'SN409', NULL, 'closing it again -> SN409');
SELECT isnt(pg_temp.pid('rp other post'), NULL, 'dismissing deletes nothing');
SELECT is((SELECT (report::jsonb)->>'action' FROM api.close_report(pg_temp.rid('post'), pg_temp.uid('rp_mod'), 'resolved', 'delete_content')),
          'delete_content', 'a moderator resolves a post report with delete_content');
SELECT is(pg_temp.pid('rp bad post'), NULL, 'the reported post is gone (a moderator may, here)');
SELECT is((SELECT (report::jsonb)->>'status' FROM api.close_report(pg_temp.rid('post by carol'), pg_temp.uid('rp_mod'), 'resolved', 'delete_content')),
          'resolved', 'delete_content on content already gone resolves');
SELECT lives_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_admin'), 'resolved', 'delete_content')$$, pg_temp.rid('comment')),
                'an admin resolves a comment report with delete_content');
SELECT is(pg_temp.cid('rp bad comment'), NULL, 'the reported comment is gone');

-- close_report: suspend
SELECT is((SELECT suspended_user_id FROM api.close_report(pg_temp.rid('user'), pg_temp.uid('rp_admin'), 'resolved', 'suspend_user')),
          pg_temp.uid('rp_bob'), 'an admin suspends the reported user: its id is returned');
SELECT ok((SELECT NOT is_active AND suspended_at IS NOT NULL AND token_epoch = 1 FROM social.users WHERE username = 'rp_bob'),
          'inactive, suspended, token epoch bumped');
SELECT ok((SELECT revoked_at IS NOT NULL FROM social.refresh_tokens WHERE token_hash = '\xb0bb'), 'its refresh tokens revoked');
SELECT is((SELECT count(*)::int FROM social.posts WHERE user_id = pg_temp.uid('rp_bob')), 1, 'its posts stay');
SELECT is((SELECT suspended_user_id FROM api.close_report(pg_temp.rid('user 2'), pg_temp.uid('rp_admin'), 'resolved', 'suspend_user')),
          pg_temp.uid('rp_bob'), 'suspending a suspended user again resolves too');
SELECT is(pg_temp.ids('rp_admin', 'resolved'),
          ARRAY[pg_temp.rid('post'), pg_temp.rid('post by carol'), pg_temp.rid('comment'), pg_temp.rid('user'), pg_temp.rid('user 2')],
          'resolved ones by closing time (then id)');
SELECT is(pg_temp.ids('rp_admin', 'dismissed'), ARRAY[pg_temp.rid('post 2')], 'dismissed ones');

-- the target's user is kept with the report; a deleted user's reports go with it
INSERT INTO rp VALUES ('carol', pg_temp.report('rp_alice', NULL, NULL, pg_temp.uid('rp_carol'), 'x'));
DELETE FROM social.users WHERE username = 'rp_carol';
SELECT is((SELECT count(*)::int FROM social.reports WHERE id = pg_temp.rid('post by carol')), 0,
          'the reports a deleted user made are gone');
SELECT is((SELECT target_user_id FROM social.reports WHERE id = pg_temp.rid('comment')), NULL,
          'a report of its content stays, without its user');
SELECT throws_ok(format($$SELECT * FROM api.close_report(%s, pg_temp.uid('rp_admin'), 'resolved', 'suspend_user')$$, pg_temp.rid('carol')),
                 'SN409', NULL, 'suspending an account that is gone -> SN409');

SELECT * FROM finish();
ROLLBACK;
