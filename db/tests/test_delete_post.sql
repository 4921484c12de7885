-- api.delete_post: owner or admin; SN403 otherwise; SN404; comments cascade.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id)
VALUES ('dp_alice', 'dp_alice@example.com', 'h', true, 1),
       ('dp_bob', 'dp_bob@example.com', 'h', true, 1),
       ('dp_mod', 'dp_mod@example.com', 'h', true, 2),
       ('dp_admin', 'dp_admin@example.com', 'h', true, 3);
INSERT INTO social.posts (user_id, title, content)
VALUES (pg_temp.uid('dp_alice'), 'dp own', 'c'), (pg_temp.uid('dp_alice'), 'dp admin target', 'c'),
       (pg_temp.uid('dp_alice'), 'dp keeper', 'c');
INSERT INTO social.comments (post_id, user_id, content)
VALUES (pg_temp.pid('dp own'), pg_temp.uid('dp_bob'), 'x'), (pg_temp.pid('dp own'), pg_temp.uid('dp_alice'), 'y'),
       (pg_temp.pid('dp keeper'), pg_temp.uid('dp_bob'), 'stays');
CREATE TEMP TABLE dp_ids AS SELECT id, title FROM social.posts WHERE title LIKE 'dp %';

-- errors
SELECT throws_ok($$SELECT api.delete_post(-1, pg_temp.uid('dp_alice'))$$, 'SN404', NULL, 'missing post -> SN404');
SELECT throws_ok($$SELECT api.delete_post(-1, pg_temp.uid('dp_bob'))$$, 'SN404', NULL,
                 'missing post with a foreign actor -> SN404 (404 before 403)');
SELECT throws_ok(format('SELECT api.delete_post(%s, %s)', pg_temp.pid('dp own'), pg_temp.uid('dp_bob')),
                 'SN403', NULL, 'plain user deleting a foreign post -> SN403');
SELECT throws_ok(format('SELECT api.delete_post(%s, %s)', pg_temp.pid('dp own'), pg_temp.uid('dp_mod')),
                 'SN403', NULL, 'moderator deleting a foreign post -> SN403 (needs level 3)');
SELECT throws_ok(format('SELECT api.delete_post(%s, -1)', pg_temp.pid('dp own')),
                 'SN403', NULL, 'an actor that does not exist -> SN403');
SELECT is((SELECT count(*)::int FROM social.comments WHERE post_id = pg_temp.pid('dp own')), 2,
          'refused deletes keep the post and its comments');

-- owner
SELECT lives_ok(format('SELECT api.delete_post(%s, %s)', pg_temp.pid('dp own'), pg_temp.uid('dp_alice')),
                'owner deletes its post');
SELECT is((SELECT count(*)::int FROM social.posts WHERE title = 'dp own'), 0, 'post gone');
SELECT is((SELECT count(*)::int FROM social.comments c JOIN dp_ids d ON d.id = c.post_id WHERE d.title = 'dp own'), 0,
          'its comments are gone too');
SELECT throws_ok(format('SELECT api.delete_post(%s, %s)', (SELECT id FROM dp_ids WHERE title = 'dp own'), pg_temp.uid('dp_alice')),
                 'SN404', NULL, 'deleting it again -> SN404');

-- admin
SELECT lives_ok(format('SELECT api.delete_post(%s, %s)', pg_temp.pid('dp admin target'), pg_temp.uid('dp_admin')),
                'admin deletes a foreign post');
SELECT is((SELECT count(*)::int FROM social.posts WHERE title = 'dp admin target'), 0, 'post gone');

-- the rest is untouched
SELECT is((SELECT count(*)::int FROM social.posts WHERE title = 'dp keeper'), 1, 'other post kept');
SELECT is((SELECT count(*)::int FROM social.comments WHERE post_id = pg_temp.pid('dp keeper')), 1, 'its comment kept');

SELECT * FROM finish();
ROLLBACK;
