-- Revert gosocial:functions/user_feed from pg: back to its @v1.0 version

BEGIN;

DROP FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint);
DROP FUNCTION social.feed_timeline(bigint, integer, integer, text, timestamptz, timestamptz, timestamptz, bigint);
DROP FUNCTION social.feed_read_time(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint);

CREATE OR REPLACE FUNCTION api.user_feed(
    p_user_id bigint,
    p_limit integer,
    p_offset integer,
    p_sort text,
    p_tags text[],
    p_search text,
    p_since timestamptz,
    p_until timestamptz
)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_filters text := '';
    v_pattern text;
    v_feed json;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 20 THEN
        RAISE EXCEPTION 'limit must be between 1 and 20' USING ERRCODE = 'SN400';
    END IF;
    IF p_offset IS NULL OR p_offset < 0 THEN
        RAISE EXCEPTION 'offset must not be negative' USING ERRCODE = 'SN400';
    END IF;
    IF p_sort IS NULL OR p_sort NOT IN ('asc', 'desc') THEN
        RAISE EXCEPTION 'sort must be asc or desc' USING ERRCODE = 'SN400';
    END IF;
    IF cardinality(p_tags) > 5 THEN
        RAISE EXCEPTION 'at most 5 tags may be given' USING ERRCODE = 'SN400';
    END IF;
    IF length(p_search) > 100 THEN
        RAISE EXCEPTION 'search must be at most 100 characters' USING ERRCODE = 'SN400';
    END IF;

    IF coalesce(cardinality(p_tags), 0) = 0 AND coalesce(p_search, '') = '' THEN
        -- No filter needing the row (since/until are bounds on the index): static SQL, one query
        -- per sort direction, planned once per session and reused by PL/pgSQL. For the user and
        -- each followed user (followers_follower_idx), read only (created_at, id) from
        -- posts_user_created_idx, an index-only scan that stops after offset + limit entries;
        -- merge those keys and cut the page; only then fetch the page's rows by primary key,
        -- count their comments and fetch their authors. coalesce to -infinity/infinity keeps
        -- the bounds sargable in the cached plan, and is no bound when NULL.
        IF p_sort = 'desc' THEN
            SELECT coalesce(json_agg(social.post_json(
                                         p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                     ORDER BY p.created_at DESC, p.id DESC), '[]')
              INTO v_feed
              FROM (SELECT k.id
                      FROM (SELECT p_user_id AS user_id
                            UNION ALL
                            SELECT f.user_id FROM followers f WHERE f.follower_id = p_user_id) a
                     CROSS JOIN LATERAL (
                            SELECT pk.id, pk.created_at
                              FROM posts pk
                             WHERE pk.user_id = a.user_id
                               AND pk.created_at >= coalesce(p_since, '-infinity')
                               AND pk.created_at <= coalesce(p_until, 'infinity')
                             ORDER BY pk.created_at DESC, pk.id DESC
                             LIMIT p_limit::bigint + p_offset) k
                     ORDER BY k.created_at DESC, k.id DESC
                     LIMIT p_limit OFFSET p_offset) t
              JOIN posts p ON p.id = t.id
              JOIN users u ON u.id = p.user_id;
        ELSE
            SELECT coalesce(json_agg(social.post_json(
                                         p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                     ORDER BY p.created_at ASC, p.id ASC), '[]')
              INTO v_feed
              FROM (SELECT k.id
                      FROM (SELECT p_user_id AS user_id
                            UNION ALL
                            SELECT f.user_id FROM followers f WHERE f.follower_id = p_user_id) a
                     CROSS JOIN LATERAL (
                            SELECT pk.id, pk.created_at
                              FROM posts pk
                             WHERE pk.user_id = a.user_id
                               AND pk.created_at >= coalesce(p_since, '-infinity')
                               AND pk.created_at <= coalesce(p_until, 'infinity')
                             ORDER BY pk.created_at ASC, pk.id ASC
                             LIMIT p_limit::bigint + p_offset) k
                     ORDER BY k.created_at ASC, k.id ASC
                     LIMIT p_limit OFFSET p_offset) t
              JOIN posts p ON p.id = t.id
              JOIN users u ON u.id = p.user_id;
        END IF;
        RETURN v_feed;
    END IF;

    -- Tags or search: the filters need the row. Only the filters in use enter the query, so
    -- each is planned for what it is.
    IF cardinality(p_tags) > 0 THEN
        v_filters := v_filters || ' AND p.tags @> $2';
    END IF;
    IF p_search <> '' THEN
        -- The user's text is matched literally: %, _ and \ lose their ILIKE meaning.
        v_pattern := '%' || replace(replace(replace(p_search, '\', '\\'), '%', '\%'), '_', '\_') || '%';
        v_filters := v_filters || ' AND (p.title ILIKE $3 OR p.content ILIKE $3)';
    END IF;
    IF p_since IS NOT NULL THEN
        v_filters := v_filters || ' AND p.created_at >= $4';
    END IF;
    IF p_until IS NOT NULL THEN
        v_filters := v_filters || ' AND p.created_at <= $5';
    END IF;

    -- For the user and each followed user (followers_follower_idx), walk that
    -- user's posts in feed order on posts_user_created_idx and stop after
    -- offset + limit rows; then merge, cut the page, and only for the page's
    -- rows count comments and fetch authors.
    EXECUTE format($q$
        SELECT coalesce(json_agg(social.post_json(
                                     p::posts, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                 ORDER BY p.created_at %1$s, p.id %1$s), '[]')
          FROM (SELECT p.*
                  FROM (SELECT $1 AS user_id
                        UNION ALL
                        SELECT f.user_id FROM followers f WHERE f.follower_id = $1) a
                 CROSS JOIN LATERAL (
                        SELECT p.*
                          FROM posts p
                         WHERE p.user_id = a.user_id %2$s
                         ORDER BY p.created_at %1$s, p.id %1$s
                         LIMIT $6 + $7) p
                 ORDER BY p.created_at %1$s, p.id %1$s
                 LIMIT $6 OFFSET $7) p
          JOIN users u ON u.id = p.user_id
        $q$, p_sort, v_filters)
    INTO v_feed
    USING p_user_id, p_tags, v_pattern, p_since, p_until, p_limit::bigint, p_offset::bigint;

    RETURN v_feed;
END;
$$;

REVOKE ALL ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz) TO gosocial_app;

COMMENT ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz) IS
    'Returns a page of posts by p_user_id and the users it follows, as a json array of posts '
    'with comments_count and author, ordered by created_at then id in p_sort direction. Filters: '
    'posts having all p_tags, p_search as a case-insensitive substring of title or content, '
    'created_at within [p_since, p_until]; NULL or empty means no filter. Raises SN400 unless '
    '1 <= p_limit <= 20, p_offset >= 0, p_sort is asc or desc, at most 5 tags and a search of '
    'at most 100 characters.';

COMMIT;
