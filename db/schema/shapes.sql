-- Deploy gosocial:schema/shapes to pg
-- requires: schema/roles
-- requires: schema/users
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/permissions

BEGIN;

-- One place for each JSON shape of the API and for the small rules several functions share.
-- The shapes are plain SQL expressions over rows the caller already has (no FROM, no subquery,
-- schema-qualified, no SET clause): PostgreSQL inlines them into the calling query, where a
-- function with its own lookups would cost a function call per row (measured: get_post at
-- half its throughput). They live in `social`, out of the application role's reach.
--
-- JSON bodies compact, times in UTC with exactly six fractional digits (docs/api.md,
-- Conventions). The shapes write their JSON from a template, because json_build_object writes
-- `{"id" : 1, "x" : ...}` and a timestamptz's JSON drops its fraction's trailing zeros
-- (`10:00:20.68418+00:00`, `10:00:00+00:00`). Strings go through to_json (its escaping); the
-- cast to json checks the result, so a NULL (format writes it as nothing) fails loudly instead of
-- nulling the object.
-- Measured per call against json_build_object: within noise for a feed page, a few
-- microseconds for one post. A list of shapes is `coalesce(array_to_json(array_agg(...)), '[]')`:
-- json_agg separates items with `, `, array_to_json with `,`, at the same cost.

CREATE OR REPLACE FUNCTION social.time_json(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$  -- STABLE as to_char: an IMMUTABLE wrapper would not be inlined
    SELECT '"' || to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
$$;
COMMENT ON FUNCTION social.time_json(timestamptz) IS
    'The API''s time as a JSON string: RFC 3339 in UTC with exactly six fractional digits, '
    'whatever the session''s TimeZone.';

CREATE OR REPLACE FUNCTION social.user_json(u social.users, r social.roles) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"username":%s,"email":%s,"created_at":%s,"is_active":%s,'
                  '"role":{"id":%s,"name":%s,"level":%s}}',
                  u.id, to_json(u.username), to_json(u.email), social.time_json(u.created_at),
                  to_json(u.is_active), r.id, to_json(r.name), r.level)::json
$$;
COMMENT ON FUNCTION social.user_json(social.users, social.roles) IS
    'The API''s user object: the user u with its role r, compact.';

CREATE OR REPLACE FUNCTION social.post_json(p social.posts, comments_count bigint, author social.users)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"user_id":%s,"title":%s,"content":%s,"tags":%s,"version":%s,'
                  '"created_at":%s,"updated_at":%s,"comments_count":%s,'
                  '"user":{"id":%s,"username":%s}}',
                  p.id, p.user_id, to_json(p.title), to_json(p.content), array_to_json(p.tags),
                  p.version, social.time_json(p.created_at), social.time_json(p.updated_at),
                  comments_count, author.id, to_json(author.username))::json
$$;
COMMENT ON FUNCTION social.post_json(social.posts, bigint, social.users) IS
    'The API''s post object: post p with its comment count and its author, compact.';

CREATE OR REPLACE FUNCTION social.comment_json(c social.comments, author social.users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"post_id":%s,"user_id":%s,"content":%s,"created_at":%s,'
                  '"user":{"id":%s,"username":%s}}',
                  c.id, c.post_id, c.user_id, to_json(c.content), social.time_json(c.created_at),
                  author.id, to_json(author.username))::json
$$;
COMMENT ON FUNCTION social.comment_json(social.comments, social.users) IS
    'The API''s comment object: comment c with its author, compact.';

CREATE OR REPLACE FUNCTION social.distinct_tags(p_tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(d.t ORDER BY d.ord), '{}')
      FROM (SELECT (array_agg(x.t ORDER BY x.ord))[1] AS t, min(x.ord) AS ord
              FROM unnest(p_tags) WITH ORDINALITY AS x(t, ord)
             WHERE x.t IS NOT NULL
             GROUP BY lower(x.t)) d
$$;
COMMENT ON FUNCTION social.distinct_tags(text[]) IS
    'Tags without NULLs and duplicates (compared case-insensitively), first spellings in their '
    'order; NULL gives {}.';

-- The post permission rule moved to schema/permissions, where it names roles, not levels.
DROP FUNCTION IF EXISTS social.authorize_post(bigint, bigint, integer, text);

COMMIT;
