-- social.has_role and social.authorize_post: rules name roles; levels come from social.roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(12);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;

INSERT INTO social.users (username, email, password_hash, is_active, role_id)
VALUES ('pm_user', 'pm_user@example.com', 'h', true, 1),
       ('pm_mod', 'pm_mod@example.com', 'h', true, 2),
       ('pm_admin', 'pm_admin@example.com', 'h', true, 3);
INSERT INTO social.posts (user_id, title, content) VALUES (pg_temp.uid('pm_user'), 'pm post', 'c');
CREATE TEMP TABLE pm AS SELECT id FROM social.posts WHERE title = 'pm post';

SELECT ok(social.has_role(pg_temp.uid('pm_admin'), 'moderator'), 'an admin has at least the moderator role');
SELECT ok(social.has_role(pg_temp.uid('pm_mod'), 'moderator'), 'a moderator has the moderator role');
SELECT ok(NOT social.has_role(pg_temp.uid('pm_mod'), 'admin'), 'a moderator is not an admin');
SELECT ok(NOT social.has_role(-1, 'user'), 'an unknown user has no role');
SELECT throws_ok($$SELECT social.has_role(1, 'root')$$, 'P0001', 'unknown role root',
                 'a rule naming a role that does not exist is an error, not a denial');

-- Levels are data: a role slotted between moderator and admin is judged by its level alone.
UPDATE social.roles SET level = level + 10 WHERE name = 'admin';
INSERT INTO social.roles (id, name, level, description) VALUES (4, 'editor', 5, 'test role');
UPDATE social.users SET role_id = 4 WHERE username = 'pm_mod';
SELECT ok(social.has_role(pg_temp.uid('pm_mod'), 'moderator') AND NOT social.has_role(pg_temp.uid('pm_mod'), 'admin'),
          'a new role between moderator and admin is compared by its level');

SELECT lives_ok(format('SELECT social.authorize_post(%s, %s, %L, %L)', (SELECT id FROM pm), pg_temp.uid('pm_user'), 'admin', 'delete'),
                'the owner may, whatever the role required');
SELECT lives_ok(format('SELECT social.authorize_post(%s, %s, %L, %L)', (SELECT id FROM pm), pg_temp.uid('pm_mod'), 'moderator', 'edit'),
                'a role at or above the one required may');
SELECT throws_ok(format('SELECT social.authorize_post(%s, %s, %L, %L)', (SELECT id FROM pm), pg_temp.uid('pm_mod'), 'admin', 'delete'),
                 'SN403', 'you may not delete this post', 'a lower role may not, with the verb in the message');
SELECT throws_ok(format('SELECT social.authorize_post(-1, %s, %L, %L)', pg_temp.uid('pm_admin'), 'admin', 'delete'),
                 'SN404', 'post not found', 'a missing post is SN404 even for an admin');
SELECT throws_ok(format('SELECT social.authorize_post(-1, %s, %L, %L)', pg_temp.uid('pm_user'), 'admin', 'delete'),
                 'SN404', 'post not found', 'a missing post is SN404 before any SN403');
SELECT hasnt_function('social', 'authorize_post', ARRAY['bigint', 'bigint', 'integer', 'text'],
                      'the level-number version of the rule is gone');

SELECT * FROM finish();
ROLLBACK;
