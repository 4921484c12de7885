-- Shape of the deployed schema: schemas, tables, columns, indexes; every api function (found in
-- the catalog) SECURITY DEFINER, with its search_path, grants, COMMENT and p_* parameters.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- 54 fixed tests, and 7 for each api function (derived below).
SELECT plan(54 + 7 * (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'api'::regnamespace));

-- schemas, extension, role
SELECT has_schema('social', 'schema social exists');
SELECT has_schema('api', 'schema api exists');
SELECT has_extension('social', 'pg_trgm', 'pg_trgm is installed in schema social');
SELECT has_role('gosocial_app', 'role gosocial_app exists');
SELECT ok(NOT rolcanlogin AND NOT rolsuper, 'gosocial_app is NOLOGIN and not a superuser')
  FROM pg_roles WHERE rolname = 'gosocial_app';

-- tables
SELECT tables_are('social',
    ARRAY['roles', 'users', 'invitations', 'refresh_tokens', 'posts', 'comments', 'followers',
          'feed_settings', 'timeline', 'timeline_horizons', 'pulled_authors', 'pulled_follows',
          'fanout_queue', 'password_resets', 'idempotency_keys', 'login_failures', 'blocks',
          'mutes', 'likes', 'reports', 'notifications'],
    'schema social holds exactly the spec tables');
SELECT tables_are('api', ARRAY[]::name[], 'schema api holds no tables');
SELECT has_table('social', 'roles', 'table social.roles exists');
SELECT has_table('social', 'users', 'table social.users exists');
SELECT has_table('social', 'invitations', 'table social.invitations exists');
SELECT has_table('social', 'refresh_tokens', 'table social.refresh_tokens exists');
SELECT has_table('social', 'posts', 'table social.posts exists');
SELECT has_table('social', 'comments', 'table social.comments exists');
SELECT has_table('social', 'followers', 'table social.followers exists');

-- columns
SELECT columns_are('social', 'roles', ARRAY['id', 'name', 'level', 'description'], 'roles columns');
SELECT columns_are('social', 'users',
    ARRAY['id', 'username', 'email', 'password_hash', 'is_active', 'role_id', 'created_at', 'updated_at', 'token_epoch',
          'suspended_at'],
    'users columns');
SELECT columns_are('social', 'invitations', ARRAY['token_hash', 'user_id', 'expires_at'], 'invitations columns');
SELECT columns_are('social', 'refresh_tokens',
    ARRAY['token_hash', 'user_id', 'family_id', 'created_at', 'expires_at', 'used_at', 'revoked_at'],
    'refresh_tokens columns');
SELECT columns_are('social', 'posts',
    ARRAY['id', 'user_id', 'title', 'content', 'tags', 'version', 'created_at', 'updated_at'], 'posts columns');
SELECT columns_are('social', 'comments', ARRAY['id', 'post_id', 'user_id', 'content', 'created_at'], 'comments columns');
SELECT columns_are('social', 'followers', ARRAY['user_id', 'follower_id', 'created_at'], 'followers columns');

-- key column types
SELECT col_type_is('social', 'users', 'id', 'bigint', 'users.id is bigint');
SELECT col_type_is('social', 'users', 'role_id', 'smallint', 'users.role_id is smallint');
SELECT col_type_is('social', 'users', 'created_at', 'timestamp with time zone', 'users.created_at is timestamptz');
SELECT col_type_is('social', 'invitations', 'token_hash', 'bytea', 'invitations.token_hash is bytea');
SELECT col_type_is('social', 'refresh_tokens', 'token_hash', 'bytea', 'refresh_tokens.token_hash is bytea');
SELECT col_type_is('social', 'refresh_tokens', 'family_id', 'uuid', 'refresh_tokens.family_id is uuid');
SELECT col_type_is('social', 'posts', 'tags', 'text[]', 'posts.tags is text[]');
SELECT col_type_is('social', 'posts', 'version', 'integer', 'posts.version is integer');
SELECT col_type_is('social', 'roles', 'id', 'smallint', 'roles.id is smallint');

-- primary keys
SELECT col_is_pk('social', 'roles', 'id', 'roles pk');
SELECT col_is_pk('social', 'users', 'id', 'users pk');
SELECT col_is_pk('social', 'invitations', 'token_hash', 'invitations pk');
SELECT col_is_pk('social', 'refresh_tokens', 'token_hash', 'refresh_tokens pk');
SELECT col_is_pk('social', 'posts', 'id', 'posts pk');
SELECT col_is_pk('social', 'comments', 'id', 'comments pk');
SELECT col_is_pk('social', 'followers', ARRAY['user_id', 'follower_id'], 'followers pk (user_id, follower_id)');

-- indexes named by the spec
SELECT has_index('social', 'users', 'users_username_key', 'users_username_key exists');
SELECT has_index('social', 'users', 'users_email_key', 'users_email_key exists');
SELECT has_index('social', 'posts', 'posts_user_created_idx', 'posts_user_created_idx exists');
SELECT has_index('social', 'comments', 'comments_post_created_idx', 'comments_post_created_idx exists');
SELECT has_index('social', 'followers', 'followers_follower_idx', 'followers_follower_idx exists');
SELECT ok(EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'social' AND tablename = 'posts'
                   AND indexdef ILIKE '%USING gin (tags)%'),
          'posts has a GIN index on tags');
SELECT is((SELECT count(*)::int FROM pg_indexes WHERE schemaname = 'social' AND tablename = 'posts'
            AND indexdef ILIKE '%gin_trgm_ops%'
            AND (indexdef ILIKE '%(title %' OR indexdef ILIKE '%(content %')),
          2, 'posts has trigram GIN indexes on title and on content');
SELECT ok(EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'social' AND tablename = 'invitations'
                   AND indexdef ILIKE '%(expires_at)%'), 'invitations indexed on expires_at');
SELECT ok(EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'social' AND tablename = 'refresh_tokens'
                   AND indexdef ILIKE '%(family_id)%'), 'refresh_tokens indexed on family_id');

-- seeded roles
SELECT results_eq(
    'SELECT id::int, name, level FROM social.roles ORDER BY id',
    $$VALUES (1, 'user'::text, 1), (2, 'moderator'::text, 2), (3, 'admin'::text, 3)$$,
    'roles user/moderator/admin are seeded with levels 1/2/3');

SELECT col_type_is('social', 'users', 'token_epoch', 'integer', 'users.token_epoch is integer');
SELECT col_is_pk('social', 'password_resets', 'user_id', 'password_resets pk: one token per user');
SELECT col_is_unique('social', 'password_resets', 'token_hash', 'password_resets.token_hash is unique');

-- get_login's result columns
SELECT is(
    (SELECT pg_get_function_result('api.get_login(text)'::regprocedure)),
    'TABLE(user_id bigint, password_hash text, is_active boolean, is_suspended boolean)',
    'get_login returns TABLE(user_id bigint, password_hash text, is_active boolean, is_suspended boolean)');

-- The api functions, derived from the catalog: a new function is checked without editing this
-- file, and a failing line names it. The exact signatures are each change's verify script's
-- (its ::regprocedure), the behaviour each function's own test file's.
CREATE TEMP VIEW api_functions AS
SELECT p.oid, p.oid::regprocedure::text AS fn, p.prosecdef, p.proconfig, p.prosrc,
       p.proargnames, p.proargmodes, coalesce(obj_description(p.oid, 'pg_proc'), '') AS comment
  FROM pg_proc p
 WHERE p.pronamespace = 'api'::regnamespace;

SELECT ok((SELECT count(*) FROM api_functions) > 0, 'schema api holds functions');
SELECT is(
    ARRAY(SELECT proname::text FROM pg_proc WHERE pronamespace = 'api'::regnamespace
           GROUP BY proname HAVING count(*) > 1 ORDER BY 1),
    ARRAY[]::text[],
    'no api function is overloaded (a rework that changes a signature drops the old one)');

SELECT ok(prosecdef, fn || ' is SECURITY DEFINER') FROM api_functions ORDER BY fn;

SELECT is(
    (SELECT replace(replace(c.setting, ' ', ''), '"', '')
       FROM unnest(proconfig) AS c(setting) WHERE c.setting LIKE 'search_path=%'),
    'search_path=social,pg_catalog,pg_temp',
    fn || ' has SET search_path = social, pg_catalog, pg_temp')
  FROM api_functions ORDER BY fn;

SELECT ok(has_function_privilege('gosocial_app', oid, 'EXECUTE'), 'gosocial_app may EXECUTE ' || fn)
  FROM api_functions ORDER BY fn;

SELECT ok(NOT has_function_privilege('public', oid, 'EXECUTE'),
          'PUBLIC may not EXECUTE ' || fn || ' (REVOKE ALL ... FROM PUBLIC)')
  FROM api_functions ORDER BY fn;

SELECT isnt(comment, '', fn || ' has a COMMENT') FROM api_functions ORDER BY fn;

SELECT is(
    ARRAY(SELECT DISTINCT m[1] FROM regexp_matches(prosrc, '(SN[0-9]{3})', 'g') AS m
           WHERE position(m[1] IN comment) = 0 ORDER BY 1),
    ARRAY[]::text[],
    fn || ': its COMMENT names every SQLSTATE it raises')
  FROM api_functions ORDER BY fn;

SELECT is(
    ARRAY(SELECT a.argname
            FROM unnest(coalesce(proargnames, ARRAY[]::text[]),
                        coalesce(proargmodes, ARRAY[]::"char"[])) AS a(argname, argmode)
           WHERE coalesce(a.argmode, 'i') IN ('i', 'b') AND a.argname NOT LIKE 'p\_%'),
    ARRAY[]::text[],
    fn || ' names its input parameters p_*')
  FROM api_functions ORDER BY fn;

-- the api schema holds functions only (no views, sequences, types beyond function results)
SELECT is(
    (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'api'::regnamespace),
    0, 'schema api holds no relations');

SELECT * FROM finish();
ROLLBACK;
