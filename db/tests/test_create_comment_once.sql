-- api.create_comment_once: a comment at most once per (user, Idempotency-Key); the first answer
-- is replayed for the same request hash; SN422 for another hash; SN409 while another session
-- holds the key; SN404 keeps no key; SN400 without a key.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(18);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
CREATE FUNCTION pg_temp.comments() RETURNS int LANGUAGE sql STABLE AS
$$ SELECT count(*)::int FROM social.comments WHERE post_id = pg_temp.pid('co post') $$;
CREATE FUNCTION pg_temp.h(p_text text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
$$ SELECT sha256(convert_to(p_text, 'UTF8')) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('co_alice', 'co_alice@example.com', 'h', true), ('co_bob', 'co_bob@example.com', 'h', true);
INSERT INTO social.posts (user_id, title, content) VALUES (pg_temp.uid('co_alice'), 'co post', 'c');

CREATE TEMP TABLE first AS
SELECT * FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_bob'), 'k', pg_temp.h('c1'), 'Nice');
SELECT is((SELECT (status, replayed)::text FROM first), '(201,f)', 'the first request answers 201, not a replay');
SELECT is((SELECT body->>'content' FROM first), 'Nice', 'its body is the new comment');
SELECT is(pg_temp.comments(), 1, 'one comment exists');
SELECT is((SELECT body::text FROM social.idempotency_keys WHERE user_id = pg_temp.uid('co_bob') AND key = 'k'),
          (SELECT body::text FROM first), 'the key keeps the first answer');

CREATE TEMP TABLE again AS
SELECT * FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_bob'), 'k', pg_temp.h('c1'), 'Nice');
SELECT is((SELECT (status, replayed)::text FROM again), '(201,t)', 'a repeat is a replay of 201');
SELECT is((SELECT body::text FROM again), (SELECT body::text FROM first), 'with the first body');
SELECT is(pg_temp.comments(), 1, 'a replay adds nothing');

SELECT throws_ok(
    $$SELECT * FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_bob'), 'k', pg_temp.h('c2'), 'Other')$$,
    'SN422', 'this Idempotency-Key was already used with a different request', 'another request hash is SN422');
SELECT is(pg_temp.comments(), 1, 'SN422 adds nothing');

SELECT is((SELECT replayed FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_alice'), 'k', pg_temp.h('c2'), 'Mine')),
          false, 'another user''s same key adds');
SELECT is(pg_temp.comments(), 2, 'that comment exists');

SELECT throws_ok(
    $$SELECT * FROM api.create_comment_once(-1, pg_temp.uid('co_bob'), 'k404', pg_temp.h('c3'), 'Lost')$$,
    'SN404', 'post not found', 'a missing post is SN404');
SELECT is((SELECT count(*)::int FROM social.idempotency_keys WHERE key = 'k404'), 0, 'SN404 keeps no key');
SELECT throws_ok(
    $$SELECT * FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_bob'), NULL, pg_temp.h('c3'), 'x')$$,
    'SN400', NULL, 'no key is SN400');

CREATE EXTENSION dblink;
SELECT is(dblink_connect('co_other', format('host=%s port=%s dbname=%s user=%s',
    coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)),
    current_setting('port'), current_database(), current_user)), 'OK', 'a second session connects');
SELECT is((SELECT locked FROM dblink('co_other', format('SELECT pg_try_advisory_lock(hashtextextended(%L, 0))',
                                     pg_temp.uid('co_bob') || ':k2')) AS t(locked boolean)),
          true, 'the second session holds the key, as a running first request does');
SELECT throws_ok(
    $$SELECT * FROM api.create_comment_once(pg_temp.pid('co post'), pg_temp.uid('co_bob'), 'k2', pg_temp.h('c4'), 'x')$$,
    'SN409', NULL, 'a key another transaction holds is SN409');
SELECT is(dblink_disconnect('co_other'), 'OK', 'the second session ends');

SELECT * FROM finish();
ROLLBACK;
