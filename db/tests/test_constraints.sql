-- Table-level rules: case-insensitive unique username/email, length checks, defaults,
-- identity columns, follow-yourself check, foreign keys.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(26);

INSERT INTO social.users (username, email, password_hash) VALUES ('Con_Alice', 'Con.Alice@Example.com', 'h');
INSERT INTO social.users (username, email, password_hash) VALUES ('con_bob', 'con_bob@example.com', 'h');

-- case-insensitive uniqueness
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('con_alice', 'c1@example.com', 'h')$$,
                 '23505', NULL, 'username unique regardless of case (lower)');
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('CON_ALICE', 'c2@example.com', 'h')$$,
                 '23505', NULL, 'username unique regardless of case (upper)');
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('c3', 'con.alice@example.com', 'h')$$,
                 '23505', NULL, 'email unique regardless of case (lower)');
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('c4', 'CON.ALICE@EXAMPLE.COM', 'h')$$,
                 '23505', NULL, 'email unique regardless of case (upper)');
SELECT throws_ok($$UPDATE social.users SET username = 'CON_BOB' WHERE username = 'Con_Alice'$$,
                 '23505', NULL, 'renaming onto another user''s name in another case is refused');
SELECT is((SELECT email FROM social.users WHERE username = 'Con_Alice'), 'Con.Alice@Example.com', 'email stored as given');

-- lengths
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('', 'c5@example.com', 'h')$$,
                 '23514', NULL, 'empty username refused');
SELECT throws_ok(format('INSERT INTO social.users (username, email, password_hash) VALUES (%L, %L, %L)', repeat('u', 101), 'c6@example.com', 'h'),
                 '23514', NULL, '101-character username refused');
SELECT lives_ok(format('INSERT INTO social.users (username, email, password_hash) VALUES (%L, %L, %L)', repeat('u', 100), 'c7@example.com', 'h'),
                '100-character username accepted');
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash) VALUES ('c8', 'a@', 'h')$$,
                 '23514', NULL, '2-character email refused');
SELECT throws_ok(format('INSERT INTO social.users (username, email, password_hash) VALUES (%L, %L, %L)', 'c9', repeat('e', 251) || '@x.io', 'h'),
                 '23514', NULL, '256-character email refused');

-- defaults
SELECT ok((SELECT NOT is_active AND role_id = 1 AND created_at = now() AND updated_at = now()
             FROM social.users WHERE username = 'con_bob'),
          'users default to inactive, role 1, created_at/updated_at now()');
SELECT throws_ok($$INSERT INTO social.users (id, username, email, password_hash) VALUES (424242, 'c10', 'c10@example.com', 'h')$$,
                 '428C9', NULL, 'users.id is GENERATED ALWAYS');
SELECT throws_ok($$INSERT INTO social.users (username, email, password_hash, role_id) VALUES ('c11', 'c11@example.com', 'h', 9)$$,
                 '23503', NULL, 'role_id must reference a role');

INSERT INTO social.posts (user_id, title, content) SELECT id, 'con post', 'c' FROM social.users WHERE username = 'con_bob';
SELECT ok((SELECT tags = '{}' AND version = 1 AND created_at = now() AND updated_at = now()
             FROM social.posts WHERE title = 'con post'),
          'posts default to no tags, version 1, timestamps now()');
SELECT throws_ok($$INSERT INTO social.posts (user_id, title, content) SELECT id, '', 'c' FROM social.users WHERE username = 'con_bob'$$,
                 '23514', NULL, 'empty title refused');
SELECT throws_ok(format('INSERT INTO social.posts (user_id, title, content) SELECT id, %L, %L FROM social.users WHERE username = %L', repeat('t', 101), 'c', 'con_bob'),
                 '23514', NULL, '101-character title refused');
SELECT throws_ok($$INSERT INTO social.posts (user_id, title, content) SELECT id, 't', '' FROM social.users WHERE username = 'con_bob'$$,
                 '23514', NULL, 'empty content refused');
SELECT throws_ok(format('INSERT INTO social.posts (user_id, title, content) SELECT id, %L, %L FROM social.users WHERE username = %L', 't', repeat('c', 1001), 'con_bob'),
                 '23514', NULL, '1001-character content refused');
SELECT lives_ok(format('INSERT INTO social.posts (user_id, title, content) SELECT id, %L, %L FROM social.users WHERE username = %L', repeat('t', 100), repeat('c', 1000), 'con_bob'),
                'title of 100 and content of 1000 characters accepted');
SELECT throws_ok($$INSERT INTO social.posts (user_id, title, content) VALUES (-1, 't', 'c')$$,
                 '23503', NULL, 'a post needs an existing user');

SELECT throws_ok($$INSERT INTO social.comments (post_id, user_id, content)
                   SELECT p.id, p.user_id, '' FROM social.posts p WHERE p.title = 'con post'$$,
                 '23514', NULL, 'empty comment refused');
SELECT throws_ok($$INSERT INTO social.comments (post_id, user_id, content)
                   SELECT -1, id, 'c' FROM social.users WHERE username = 'con_bob'$$,
                 '23503', NULL, 'a comment needs an existing post');

-- followers
SELECT throws_ok($$INSERT INTO social.followers (user_id, follower_id) SELECT id, id FROM social.users WHERE username = 'con_bob'$$,
                 '23514', NULL, 'a user cannot follow itself (CHECK)');
INSERT INTO social.followers (user_id, follower_id)
SELECT a.id, b.id FROM social.users a, social.users b WHERE a.username = 'Con_Alice' AND b.username = 'con_bob';
SELECT throws_ok($$INSERT INTO social.followers (user_id, follower_id)
                   SELECT a.id, b.id FROM social.users a, social.users b WHERE a.username = 'Con_Alice' AND b.username = 'con_bob'$$,
                 '23505', NULL, 'a follow is stored once');
SELECT is((SELECT f.created_at FROM social.followers f JOIN social.users u ON u.id = f.follower_id WHERE u.username = 'con_bob'), now(), 'followers.created_at defaults to now()');

SELECT * FROM finish();
ROLLBACK;
