-- api.get_login: credentials by lower(email); zero rows when unknown; suspended told apart.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(8);

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('gl_alice', 'GL.Alice@Example.com', 'hash-alice', true),
       ('gl_bob', 'gl_bob@example.com', 'hash-bob', false);
INSERT INTO social.users (username, email, password_hash, is_active, suspended_at)
VALUES ('gl_carol', 'gl_carol@example.com', 'hash-carol', false, now());

SELECT results_eq(
    $$SELECT * FROM api.get_login('GL.Alice@Example.com')$$,
    $$SELECT id, 'hash-alice'::text, true, false FROM social.users WHERE username = 'gl_alice'$$,
    'exact email -> user_id, password_hash, is_active');
SELECT results_eq(
    $$SELECT * FROM api.get_login('gl.alice@example.com')$$,
    $$SELECT id, 'hash-alice'::text, true, false FROM social.users WHERE username = 'gl_alice'$$,
    'lower-case email finds the mixed-case address');
SELECT results_eq(
    $$SELECT * FROM api.get_login('GL_BOB@EXAMPLE.COM')$$,
    $$SELECT id, 'hash-bob'::text, false, false FROM social.users WHERE username = 'gl_bob'$$,
    'upper-case email finds the user; inactive flag reported');
SELECT results_eq(
    $$SELECT * FROM api.get_login('gl_carol@example.com')$$,
    $$SELECT id, 'hash-carol'::text, false, true FROM social.users WHERE username = 'gl_carol'$$,
    'a suspended account: inactive and suspended (one never activated is not)');
SELECT is((SELECT user_id FROM api.get_login('gl_bob@example.com')),
          (SELECT id FROM social.users WHERE username = 'gl_bob'), 'columns are named user_id, password_hash, is_active, is_suspended');
SELECT is_empty($$SELECT * FROM api.get_login('nobody@example.com')$$, 'unknown email -> zero rows');
SELECT lives_ok($$SELECT * FROM api.get_login('nobody@example.com')$$, 'unknown email raises nothing');
SELECT is_empty($$SELECT * FROM api.get_login('gl_alice')$$, 'a username is not an email');

SELECT * FROM finish();
ROLLBACK;
