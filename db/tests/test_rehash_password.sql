-- api.rehash_password: compare-and-set of a user's password hash.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(6);

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('rh_alice', 'rh_alice@example.com', 'cost-4-hash', true);
CREATE FUNCTION pg_temp.hash() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT password_hash FROM social.users WHERE username = 'rh_alice' $$;
CREATE FUNCTION pg_temp.uid() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = 'rh_alice' $$;

SELECT is(api.rehash_password(pg_temp.uid(), 'cost-4-hash', 'cost-12-hash'), true, 'the hash checked is replaced');
SELECT is(pg_temp.hash(), 'cost-12-hash', 'the new hash is stored');
SELECT is(api.rehash_password(pg_temp.uid(), 'cost-4-hash', 'stale-hash'), false,
          'a hash that changed meanwhile (a password change) is not replaced');
SELECT is(pg_temp.hash(), 'cost-12-hash', 'and stays as it was');
SELECT is(api.rehash_password(-1, 'cost-4-hash', 'x'), false, 'an unknown user: false');
SELECT throws_ok($$SELECT api.rehash_password(pg_temp.uid(), 'cost-12-hash', NULL)$$, 'SN400', NULL, 'no new hash is SN400');

SELECT * FROM finish();
ROLLBACK;
