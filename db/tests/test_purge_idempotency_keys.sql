-- api.purge_idempotency_keys: removes keys older than 24 hours; returns how many.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(5);

DELETE FROM social.idempotency_keys;  -- rolled back at the end, so the counts are exact
INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('pk_alice', 'pk_alice@example.com', 'h', true);
INSERT INTO social.idempotency_keys (user_id, key, request_hash, status, body, created_at)
SELECT u.id, k.key, sha256(convert_to(k.key, 'UTF8')), 201, '{}', now() - k.age
  FROM social.users u,
       (VALUES ('old', interval '25 hours'), ('just', interval '24 hours'),
               ('young', interval '23 hours 59 minutes'), ('new', interval '0')) AS k(key, age)
 WHERE u.username = 'pk_alice';

SELECT is(api.purge_idempotency_keys(), 2, 'returns the number of removed keys');
SELECT is(ARRAY(SELECT key FROM social.idempotency_keys ORDER BY key), ARRAY['new', 'young'],
          'keys of 24 hours and more are gone, younger ones kept');
SELECT is(api.purge_idempotency_keys(), 0, 'a second run removes nothing');
SELECT is((SELECT replayed FROM api.create_post_once(
              (SELECT id FROM social.users WHERE username = 'pk_alice'), 'old',
              sha256('another'::bytea), 't', 'c', NULL)),
          false, 'a purged key can be used again');
SELECT is((SELECT count(*)::int FROM social.posts p JOIN social.users u ON u.id = p.user_id
            WHERE u.username = 'pk_alice'), 1, 'and it created a post');

SELECT * FROM finish();
ROLLBACK;
