-- Shape of the deployed schema: schemas, tables, columns, indexes, the api
-- functions with their exact signatures, SECURITY DEFINER and search_path.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(121);

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
          'fanout_queue', 'password_resets', 'idempotency_keys', 'login_failures'],
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
    ARRAY['id', 'username', 'email', 'password_hash', 'is_active', 'role_id', 'created_at', 'updated_at', 'token_epoch'],
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

-- api functions: exactly these, with the spec signatures
SELECT functions_are('api', ARRAY[
    'register_user', 'delete_user', 'activate_user', 'get_user', 'get_login', 'set_user_role',
    'follow_user', 'unfollow_user', 'create_post', 'get_post', 'update_post', 'delete_post',
    'create_comment', 'list_comments', 'user_feed', 'issue_refresh_token', 'rotate_refresh_token',
    'revoke_refresh_family', 'purge_expired_invitations', 'fan_out_queued', 'replayed',
    'get_session_user', 'request_password_reset', 'reset_password', 'change_password',
    'create_post_once', 'create_comment_once', 'purge_idempotency_keys', 'login_attempt',
    'login_succeeded', 'purge_login_failures', 'rehash_password'],
    'schema api holds exactly the spec functions');

SELECT function_returns('api', 'register_user', ARRAY['text', 'text', 'text', 'bytea', 'interval'], 'json', 'register_user(text,text,text,bytea,interval) returns json');
SELECT function_returns('api', 'delete_user', ARRAY['bigint'], 'void', 'delete_user(bigint) returns void');
SELECT function_returns('api', 'activate_user', ARRAY['bytea'], 'bigint', 'activate_user(bytea) returns bigint');
SELECT function_returns('api', 'get_user', ARRAY['bigint'], 'json', 'get_user(bigint) returns json');
SELECT function_returns('api', 'get_login', ARRAY['text'], 'setof record', 'get_login(text) returns a table');
SELECT function_returns('api', 'set_user_role', ARRAY['bigint', 'text', 'bigint'], 'json', 'set_user_role(bigint,text,bigint) returns json');
SELECT function_returns('api', 'follow_user', ARRAY['bigint', 'bigint'], 'void', 'follow_user(bigint,bigint) returns void');
SELECT function_returns('api', 'unfollow_user', ARRAY['bigint', 'bigint'], 'void', 'unfollow_user(bigint,bigint) returns void');
SELECT function_returns('api', 'create_post', ARRAY['bigint', 'text', 'text', 'text[]'], 'json', 'create_post(bigint,text,text,text[]) returns json');
SELECT function_returns('api', 'get_post', ARRAY['bigint'], 'json', 'get_post(bigint) returns json');
SELECT function_returns('api', 'update_post', ARRAY['bigint', 'bigint', 'integer', 'text', 'text', 'text[]'], 'json', 'update_post(bigint,bigint,int,text,text,text[]) returns json');
SELECT function_returns('api', 'delete_post', ARRAY['bigint', 'bigint'], 'void', 'delete_post(bigint,bigint) returns void');
SELECT function_returns('api', 'create_comment', ARRAY['bigint', 'bigint', 'text'], 'json', 'create_comment(bigint,bigint,text) returns json');
SELECT function_returns('api', 'list_comments', ARRAY['bigint', 'integer', 'integer', 'timestamp with time zone', 'bigint'], 'json', 'list_comments(bigint,int,int,timestamptz,bigint) returns json');
SELECT function_returns('api', 'replayed', ARRAY['pg_lsn', 'integer'], 'boolean', 'replayed(pg_lsn,int) returns boolean');
SELECT function_returns('api', 'fan_out_queued', ARRAY['integer'], 'integer', 'fan_out_queued(int) returns int');
SELECT function_returns('api', 'user_feed',
    ARRAY['bigint', 'integer', 'integer', 'text', 'text[]', 'text', 'timestamp with time zone', 'timestamp with time zone',
          'timestamp with time zone', 'bigint'],
    'json', 'user_feed(bigint,int,int,text,text[],text,timestamptz,timestamptz,timestamptz,bigint) returns json');
SELECT function_returns('api', 'issue_refresh_token', ARRAY['bigint', 'bytea', 'uuid', 'interval'], 'void', 'issue_refresh_token(bigint,bytea,uuid,interval) returns void');
SELECT function_returns('api', 'rotate_refresh_token', ARRAY['bytea', 'bytea', 'interval'], 'bigint', 'rotate_refresh_token(bytea,bytea,interval) returns bigint');
SELECT function_returns('api', 'revoke_refresh_family', ARRAY['bytea', 'bigint'], 'boolean', 'revoke_refresh_family(bytea,bigint) returns boolean');
SELECT function_returns('api', 'purge_expired_invitations', ARRAY[]::name[], 'integer', 'purge_expired_invitations() returns integer');
SELECT function_returns('api', 'get_session_user', ARRAY['bigint'], 'setof record', 'get_session_user(bigint) returns a table');
SELECT function_returns('api', 'request_password_reset', ARRAY['text', 'bytea', 'interval'], 'setof record', 'request_password_reset(text,bytea,interval) returns a table');
SELECT function_returns('api', 'reset_password', ARRAY['bytea', 'text'], 'bigint', 'reset_password(bytea,text) returns bigint');
SELECT function_returns('api', 'change_password', ARRAY['bigint', 'text', 'text'], 'integer', 'change_password(bigint,text,text) returns integer');
SELECT col_type_is('social', 'users', 'token_epoch', 'integer', 'users.token_epoch is integer');
SELECT col_is_pk('social', 'password_resets', 'user_id', 'password_resets pk: one token per user');
SELECT col_is_unique('social', 'password_resets', 'token_hash', 'password_resets.token_hash is unique');
SELECT is(pg_get_function_result('api.create_post_once(bigint, text, bytea, text, text, text[])'::regprocedure),
          'record', 'create_post_once(bigint,text,bytea,text,text,text[]) returns a record');
SELECT is(pg_get_function_result('api.create_comment_once(bigint, bigint, text, bytea, text)'::regprocedure),
          'record', 'create_comment_once(bigint,bigint,text,bytea,text) returns a record');
SELECT function_returns('api', 'purge_idempotency_keys', ARRAY[]::name[], 'integer', 'purge_idempotency_keys() returns integer');
SELECT function_returns('api', 'login_attempt', ARRAY['text', 'integer', 'interval'], 'integer', 'login_attempt(text,int,interval) returns integer');
SELECT function_returns('api', 'login_succeeded', ARRAY['text'], 'void', 'login_succeeded(text) returns void');
SELECT function_returns('api', 'purge_login_failures', ARRAY[]::name[], 'integer', 'purge_login_failures() returns integer');
SELECT function_returns('api', 'rehash_password', ARRAY['bigint', 'text', 'text'], 'boolean', 'rehash_password(bigint,text,text) returns boolean');

-- get_login's result columns
SELECT is(
    (SELECT pg_get_function_result('api.get_login(text)'::regprocedure)),
    'TABLE(user_id bigint, password_hash text, is_active boolean)',
    'get_login returns TABLE(user_id bigint, password_hash text, is_active boolean)');

-- every api function is SECURITY DEFINER
SELECT is_definer('api', 'register_user', 'register_user is SECURITY DEFINER');
SELECT is_definer('api', 'delete_user', 'delete_user is SECURITY DEFINER');
SELECT is_definer('api', 'activate_user', 'activate_user is SECURITY DEFINER');
SELECT is_definer('api', 'get_user', 'get_user is SECURITY DEFINER');
SELECT is_definer('api', 'get_login', 'get_login is SECURITY DEFINER');
SELECT is_definer('api', 'set_user_role', 'set_user_role is SECURITY DEFINER');
SELECT is_definer('api', 'follow_user', 'follow_user is SECURITY DEFINER');
SELECT is_definer('api', 'unfollow_user', 'unfollow_user is SECURITY DEFINER');
SELECT is_definer('api', 'create_post', 'create_post is SECURITY DEFINER');
SELECT is_definer('api', 'get_post', 'get_post is SECURITY DEFINER');
SELECT is_definer('api', 'update_post', 'update_post is SECURITY DEFINER');
SELECT is_definer('api', 'delete_post', 'delete_post is SECURITY DEFINER');
SELECT is_definer('api', 'create_comment', 'create_comment is SECURITY DEFINER');
SELECT is_definer('api', 'list_comments', 'list_comments is SECURITY DEFINER');
SELECT is_definer('api', 'user_feed', 'user_feed is SECURITY DEFINER');
SELECT is_definer('api', 'fan_out_queued', 'fan_out_queued is SECURITY DEFINER');
SELECT is_definer('api', 'replayed', 'replayed is SECURITY DEFINER');
SELECT is_definer('api', 'issue_refresh_token', 'issue_refresh_token is SECURITY DEFINER');
SELECT is_definer('api', 'rotate_refresh_token', 'rotate_refresh_token is SECURITY DEFINER');
SELECT is_definer('api', 'revoke_refresh_family', 'revoke_refresh_family is SECURITY DEFINER');
SELECT is_definer('api', 'purge_expired_invitations', 'purge_expired_invitations is SECURITY DEFINER');
SELECT is_definer('api', 'get_session_user', 'get_session_user is SECURITY DEFINER');
SELECT is_definer('api', 'request_password_reset', 'request_password_reset is SECURITY DEFINER');
SELECT is_definer('api', 'reset_password', 'reset_password is SECURITY DEFINER');
SELECT is_definer('api', 'change_password', 'change_password is SECURITY DEFINER');
SELECT is_definer('api', 'create_post_once', 'create_post_once is SECURITY DEFINER');
SELECT is_definer('api', 'create_comment_once', 'create_comment_once is SECURITY DEFINER');
SELECT is_definer('api', 'purge_idempotency_keys', 'purge_idempotency_keys is SECURITY DEFINER');
SELECT is_definer('api', 'login_attempt', 'login_attempt is SECURITY DEFINER');
SELECT is_definer('api', 'login_succeeded', 'login_succeeded is SECURITY DEFINER');
SELECT is_definer('api', 'purge_login_failures', 'purge_login_failures is SECURITY DEFINER');
SELECT is_definer('api', 'rehash_password', 'rehash_password is SECURITY DEFINER');

-- every api function pins its search_path
SELECT is(
    ARRAY(SELECT p.proname::text FROM pg_proc p
           WHERE p.pronamespace = 'api'::regnamespace
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c(setting)
                              WHERE replace(replace(c.setting, ' ', ''), '"', '')
                                    = 'search_path=social,pg_catalog,pg_temp')
           ORDER BY 1),
    ARRAY[]::text[],
    'every api function has SET search_path = social, pg_catalog, pg_temp');

-- every api function has parameters named p_*
SELECT is(
    ARRAY(SELECT DISTINCT p.proname::text FROM pg_proc p,
                 unnest(coalesce(p.proargnames, ARRAY[]::text[]), coalesce(p.proargmodes, ARRAY[]::"char"[]))
                   AS a(argname, argmode)
           WHERE p.pronamespace = 'api'::regnamespace
             AND coalesce(a.argmode, 'i') IN ('i', 'b')
             AND a.argname NOT LIKE 'p\_%'
           ORDER BY 1),
    ARRAY[]::text[],
    'every api function names its input parameters p_*');

-- every api function is documented
SELECT is(
    ARRAY(SELECT p.proname::text FROM pg_proc p
           WHERE p.pronamespace = 'api'::regnamespace
             AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
           ORDER BY 1),
    ARRAY[]::text[],
    'every api function has a COMMENT');

-- every SN code a function raises is named in its COMMENT
SELECT is(
    ARRAY(SELECT DISTINCT p.proname::text || ':' || m[1]
            FROM pg_proc p, regexp_matches(p.prosrc, '(SN[0-9]{3})', 'g') AS m
           WHERE p.pronamespace = 'api'::regnamespace
             AND position(m[1] IN coalesce(obj_description(p.oid, 'pg_proc'), '')) = 0
           ORDER BY 1),
    ARRAY[]::text[],
    'every SQLSTATE a function raises is listed in its COMMENT');

-- the api schema holds functions only (no views, sequences, types beyond function results)
SELECT is(
    (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'api'::regnamespace),
    0, 'schema api holds no relations');

SELECT * FROM finish();
ROLLBACK;
