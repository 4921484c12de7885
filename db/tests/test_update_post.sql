-- api.update_post: check order 400 (no field) -> 404 -> 403 -> 409; NULL = keep; version + 1; stale version changes nothing.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(40);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.post() RETURNS social.posts LANGUAGE sql STABLE AS
$$ SELECT p FROM social.posts p JOIN social.users u ON u.id = p.user_id WHERE u.username = 'up_alice' $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id)
VALUES ('up_alice', 'up_alice@example.com', 'h', true, 1),
       ('up_bob', 'up_bob@example.com', 'h', true, 1),
       ('up_mod', 'up_mod@example.com', 'h', true, 2),
       ('up_admin', 'up_admin@example.com', 'h', true, 3);
INSERT INTO social.posts (user_id, title, content, tags, version, created_at, updated_at)
VALUES (pg_temp.uid('up_alice'), 'Original title', 'Original content', ARRAY['a', 'b'], 3,
        '2026-01-01 00:00:00+00', '2026-01-02 00:00:00+00');
INSERT INTO social.comments (post_id, user_id, content)
VALUES ((pg_temp.post()).id, pg_temp.uid('up_bob'), 'first'), ((pg_temp.post()).id, pg_temp.uid('up_mod'), 'second');

CREATE TEMP TABLE snapshot AS SELECT row_to_json(p)::jsonb AS row FROM social.posts p WHERE p.id = (pg_temp.post()).id;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT row_to_json(pg_temp.post())::jsonb = (SELECT row FROM snapshot) $$;
CREATE FUNCTION pg_temp.upd(p_actor text, p_version int, p_title text, p_content text, p_tags text[]) RETURNS text
LANGUAGE sql AS
$$ SELECT format('SELECT api.update_post(%s, %s, %s, %L, %L, %L::text[])',
                 (pg_temp.post()).id, coalesce(pg_temp.uid(p_actor), -1), p_version, p_title, p_content, p_tags) $$;

-- 404 first
SELECT throws_ok($$SELECT api.update_post(-1, pg_temp.uid('up_alice'), 3, 'x', NULL, NULL)$$,
                 'SN404', NULL, 'missing post -> SN404');
SELECT throws_ok($$SELECT api.update_post(-1, pg_temp.uid('up_bob'), 99, 'x', NULL, NULL)$$,
                 'SN404', NULL, 'missing post with a foreign actor and a stale version -> still SN404');

-- 403: a plain user who is not the owner
SELECT throws_ok(pg_temp.upd('up_bob', 3, 'hijack', NULL, NULL),
                 'SN403', 'you may not edit this post', 'non-owner with level 1 -> SN403');
SELECT throws_ok(pg_temp.upd('up_bob', 1, 'hijack', NULL, NULL),
                 'SN403', 'you may not edit this post', 'non-owner with a stale version -> SN403 (403 before 409)');
SELECT throws_ok(pg_temp.upd('no_such_actor', 3, 'hijack', NULL, NULL),
                 'SN403', NULL, 'an actor that does not exist -> SN403');
SELECT ok(pg_temp.unchanged(), 'refused edits changed nothing');

-- 409: stale version, nothing changes
SELECT throws_ok(pg_temp.upd('up_alice', 2, 'Stale title', 'Stale content', ARRAY['stale']),
                 'SN409', 'post was modified by someone else', 'older version -> SN409');
SELECT throws_ok(pg_temp.upd('up_alice', 4, 'Future title', NULL, NULL),
                 'SN409', 'post was modified by someone else', 'newer (never existing) version -> SN409');
SELECT throws_ok(pg_temp.upd('up_mod', 2, 'Mod stale', NULL, NULL),
                 'SN409', 'post was modified by someone else', 'moderator with a stale version -> SN409');
SELECT ok(pg_temp.unchanged(), 'stale-version updates leave the row identical (all columns)');
SELECT is((pg_temp.post()).version, 3, 'version still 3');

-- happy path: owner changes the title only
CREATE TEMP TABLE res AS SELECT api.update_post((pg_temp.post()).id, pg_temp.uid('up_alice'), 3, 'New title', NULL, NULL) AS j;
SELECT is(ARRAY(SELECT json_object_keys(j) FROM res),
          ARRAY['id', 'user_id', 'title', 'content', 'tags', 'version', 'created_at', 'updated_at', 'comments_count', 'likes_count', 'liked', 'user'],
          'returns the post json');
SELECT is((SELECT (j->'version')::text FROM res), '4', 'returned version is 3 + 1');
SELECT is((SELECT j->>'title' FROM res), 'New title', 'returned title is the new one');
SELECT is((SELECT j->>'content' FROM res), 'Original content', 'NULL content keeps the content');
SELECT is((SELECT (j->'tags')::jsonb FROM res), '["a", "b"]'::jsonb, 'NULL tags keep the tags');
SELECT is((SELECT (j->'comments_count')::text FROM res), '2', 'comments_count in the returned post');
SELECT is((SELECT (j->'user')::jsonb FROM res), jsonb_build_object('id', pg_temp.uid('up_alice'), 'username', 'up_alice'),
          'user object is the author');
SELECT is((SELECT (j->>'updated_at')::timestamptz FROM res), now(), 'returned updated_at is now()');
SELECT is((pg_temp.post()).version, 4, 'stored version 4');
SELECT is((pg_temp.post()).title, 'New title', 'stored title changed');
SELECT is((pg_temp.post()).updated_at, now(), 'stored updated_at is now()');
SELECT is((pg_temp.post()).created_at, '2026-01-01 00:00:00+00'::timestamptz, 'created_at untouched');
SELECT is((pg_temp.post()).user_id, pg_temp.uid('up_alice'), 'owner untouched');

-- the version just used is stale now
SELECT throws_ok(pg_temp.upd('up_alice', 3, 'again', NULL, NULL),
                 'SN409', 'post was modified by someone else', 'reusing the old version -> SN409');

-- content only; title and tags kept
SELECT is(api.update_post((pg_temp.post()).id, pg_temp.uid('up_alice'), 4, NULL, 'New content', NULL)->>'title',
          'New title', 'content-only update keeps the title');
SELECT ok((pg_temp.post()).content = 'New content' AND (pg_temp.post()).version = 5,
          'content stored, version 5');

-- tags: deduplicated in order; empty array clears
SELECT is((api.update_post((pg_temp.post()).id, pg_temp.uid('up_alice'), 5, NULL, NULL, ARRAY['z', 'y', 'z', 'x', 'y'])->'tags')::jsonb,
          '["z", "y", "x"]'::jsonb, 'new tags deduplicated keeping first-occurrence order');
SELECT is((pg_temp.post()).tags, ARRAY['z', 'y', 'x'], 'stored tags deduplicated');
SELECT is((api.update_post((pg_temp.post()).id, pg_temp.uid('up_alice'), 6, NULL, NULL, ARRAY[]::text[])->'tags')::text,
          '[]', 'an empty tags array clears the tags');

-- nothing to change is refused and the version stays; a field given, even unchanged, bumps it
SELECT throws_ok(format('SELECT api.update_post(%s, %s, 7, NULL, NULL, NULL)', (pg_temp.post()).id, pg_temp.uid('up_alice')),
                 'SN400', 'nothing to change: give a title, content or tags', 'an update naming no field -> SN400');
SELECT is((pg_temp.post()).version, 7, 'and the version is not bumped');
SELECT is((api.update_post((pg_temp.post()).id, pg_temp.uid('up_alice'), 7, NULL, NULL, ARRAY[]::text[])->'version')::text,
          '8', 'the same tags again still increment the version');

-- moderators and admins may edit anyone's post
SELECT is(api.update_post((pg_temp.post()).id, pg_temp.uid('up_mod'), 8, 'Moderated', NULL, NULL)->>'title',
          'Moderated', 'moderator edits a foreign post');
SELECT ok((pg_temp.post()).version = 9 AND (pg_temp.post()).user_id = pg_temp.uid('up_alice'),
          'version 9, owner still alice');
SELECT is(api.update_post((pg_temp.post()).id, pg_temp.uid('up_admin'), 9, 'Administered', NULL, NULL)->>'title',
          'Administered', 'admin edits a foreign post');
SELECT is((pg_temp.post()).version, 10, 'version 10');

-- a refused edit after all that still changes nothing
DELETE FROM snapshot;
INSERT INTO snapshot SELECT row_to_json(pg_temp.post())::jsonb;
SELECT throws_ok(pg_temp.upd('up_bob', 10, 'hijack', 'hijack', ARRAY['x']),
                 'SN403', 'you may not edit this post', 'plain user still refused');
SELECT throws_ok(pg_temp.upd('up_alice', 9, 'late', 'late', ARRAY['late']),
                 'SN409', 'post was modified by someone else', 'owner with the pre-admin version -> SN409');
SELECT ok(pg_temp.unchanged(), 'row identical after the refused and stale updates');

SELECT * FROM finish();
ROLLBACK;
