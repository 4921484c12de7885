-- Deploy gosocial:functions/create_post to pg
-- requires: schema/posts
-- requires: schema/users

BEGIN;

CREATE OR REPLACE FUNCTION api.create_post(p_user_id bigint, p_title text, p_content text, p_tags text[])
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_post json;
BEGIN
    WITH p AS (
        INSERT INTO posts (user_id, title, content, tags)
        VALUES (
            p_user_id, p_title, p_content,
            -- Duplicates dropped, first occurrence keeps its place; NULL means none.
            (SELECT coalesce(array_agg(d.t ORDER BY d.ord), '{}')
               FROM (SELECT x.t, min(x.ord) AS ord
                       FROM unnest(p_tags) WITH ORDINALITY AS x(t, ord)
                      WHERE x.t IS NOT NULL
                      GROUP BY x.t) d))
        RETURNING *
    )
    SELECT json_build_object(
               'id', p.id,
               'user_id', p.user_id,
               'title', p.title,
               'content', p.content,
               'tags', p.tags,
               'version', p.version,
               'created_at', p.created_at,
               'updated_at', p.updated_at,
               'comments_count', 0,
               'user', json_build_object('id', u.id, 'username', u.username))
      INTO v_post
      FROM p
      JOIN users u ON u.id = p.user_id;

    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.create_post(bigint, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_post(bigint, text, text, text[]) TO gosocial_app;

COMMENT ON FUNCTION api.create_post(bigint, text, text, text[]) IS
    'Creates a post (version 1) and returns it with comments_count 0 and its author; tags are '
    'deduplicated keeping first-occurrence order, NULL means none. Raises no SN* code '
    '(the caller is an existing user; field bounds are CHECK constraints, 23514).';

COMMIT;
