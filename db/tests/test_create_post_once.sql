-- api.create_post_once: a post at most once per (user, Idempotency-Key); the first answer is
-- replayed for the same request hash; SN422 for another hash; SN409 while another session
-- holds the key; SN400 without a key; keys past 24 hours are spent.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.posts(p_name text) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT count(*)::int FROM social.posts WHERE user_id = pg_temp.uid(p_name) $$;
CREATE FUNCTION pg_temp.h(p_text text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
$$ SELECT sha256(convert_to(p_text, 'UTF8')) $$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('po_alice', 'po_alice@example.com', 'h', true), ('po_bob', 'po_bob@example.com', 'h', true);

-- the first request creates
CREATE TEMP TABLE first AS
SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-1', pg_temp.h('r1'), 'Hello', 'World', ARRAY['a', 'A', 'b']);
SELECT is((SELECT status FROM first), 201, 'the first request answers 201');
SELECT is((SELECT replayed FROM first), false, 'the first request is not a replay');
SELECT is((SELECT body->>'title' FROM first), 'Hello', 'its body is the new post');
SELECT is((SELECT (body->'tags')::text FROM first), '["a","b"]', 'made by api.create_post (tags de-duplicated)');
SELECT is(pg_temp.posts('po_alice'), 1, 'one post exists');
SELECT results_eq(
    $$SELECT k.request_hash, k.status::int, k.body::text, k.created_at FROM social.idempotency_keys k
       WHERE k.user_id = pg_temp.uid('po_alice') AND k.key = 'key-1'$$,
    $$SELECT pg_temp.h('r1'), 201, (SELECT body::text FROM first), now()$$,
    'the key is kept with the request hash and the first answer, in the same transaction');

-- the same request again: the first answer, nothing new (the hash decides, not the fields)
CREATE TEMP TABLE again AS
SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-1', pg_temp.h('r1'), 'ignored', 'ignored', NULL);
SELECT is((SELECT replayed FROM again), true, 'a repeat is a replay');
SELECT is((SELECT status FROM again), 201, 'with the first status');
SELECT is((SELECT body::text FROM again), (SELECT body::text FROM first), 'and the first body');
SELECT is(pg_temp.posts('po_alice'), 1, 'a replay creates nothing');

-- the same key with another request
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-1', pg_temp.h('r2'), 'Other', 'Body', NULL)$$,
    'SN422', 'this Idempotency-Key was already used with a different request',
    'the same key with another request hash is SN422');
SELECT is(pg_temp.posts('po_alice'), 1, 'SN422 creates nothing');
SELECT is((SELECT request_hash FROM social.idempotency_keys WHERE user_id = pg_temp.uid('po_alice') AND key = 'key-1'),
          pg_temp.h('r1'), 'SN422 leaves the kept key as it was');

-- keys are per user
SELECT is((SELECT replayed FROM api.create_post_once(pg_temp.uid('po_bob'), 'key-1', pg_temp.h('r2'), 'Bob', 'Body', NULL)),
          false, 'another user''s same key creates');
SELECT is(pg_temp.posts('po_bob'), 1, 'that user''s post exists');

-- a key past 24 hours (not swept yet) is spent: the next request with it creates anew
UPDATE social.idempotency_keys SET created_at = now() - interval '24 hours'
 WHERE user_id = pg_temp.uid('po_alice') AND key = 'key-1';
SELECT is((SELECT replayed FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-1', pg_temp.h('r3'), 'Anew', 'Body', NULL)),
          false, 'a key older than 24 hours creates again, even with another request');
SELECT is(pg_temp.posts('po_alice'), 2, 'a second post exists');
SELECT is((SELECT request_hash FROM social.idempotency_keys WHERE user_id = pg_temp.uid('po_alice') AND key = 'key-1'),
          pg_temp.h('r3'), 'the key now holds the new request');

-- a failed creation keeps no key: a retry tries again
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-2', pg_temp.h('r4'), repeat('x', 101), 'c', NULL)$$,
    '23514', NULL, 'a title over the bound is 23514 as in api.create_post');
SELECT is((SELECT count(*)::int FROM social.idempotency_keys WHERE key = 'key-2'), 0, 'and no key is kept');

-- keys the contract refuses, also refused by the table
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), repeat('k', 256), pg_temp.h('r5'), 't', 'c', NULL)$$,
    '23514', NULL, 'a key over 255 characters is 23514');
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), E'tab\tkey', pg_temp.h('r5'), 't', 'c', NULL)$$,
    '23514', NULL, 'a key with a control character is 23514');
SELECT is(pg_temp.posts('po_alice'), 2, 'refused keys create nothing');
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), NULL, pg_temp.h('r5'), 't', 'c', NULL)$$,
    'SN400', NULL, 'no key is SN400');
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-3', NULL, 't', 'c', NULL)$$,
    'SN400', NULL, 'no request hash is SN400');

-- the key held by another session (its first request still running): SN409 at once, no wait
CREATE EXTENSION dblink;
SELECT is(dblink_connect('po_other', format('host=%s port=%s dbname=%s user=%s',
    coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)),
    current_setting('port'), current_database(), current_user)), 'OK', 'a second session connects');
SELECT is((SELECT locked FROM dblink('po_other', format('SELECT pg_try_advisory_lock(hashtextextended(%L, 0))',
                                     pg_temp.uid('po_alice') || ':key-4')) AS t(locked boolean)),
          true, 'the second session holds the key, as a running first request does');
SELECT throws_ok(
    $$SELECT * FROM api.create_post_once(pg_temp.uid('po_alice'), 'key-4', pg_temp.h('r6'), 't', 'c', NULL)$$,
    'SN409', 'a request with this Idempotency-Key is still in progress; try again shortly',
    'a key another transaction holds is SN409');
SELECT is(pg_temp.posts('po_alice'), 2, 'SN409 creates nothing');
SELECT is(dblink_disconnect('po_other'), 'OK', 'the second session ends');

SELECT * FROM finish();
ROLLBACK;
